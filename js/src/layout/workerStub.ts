// Stands in for the inlined worker source under vitest (no Worker there): the client
// falls back to laying out on the main thread, which is what the tests exercise.
export default "";
