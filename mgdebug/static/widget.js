// Temporary bundle until js/ is built (js/src/widget.ts replaces this file).
function render({ model, el }) {
  const p = document.createElement("pre");
  const show = () => { p.textContent = JSON.stringify(model.get("status")); };
  show();
  model.on("change:status", show);
  el.appendChild(p);
  return () => model.off("change:status", show);
}
export default { render };
