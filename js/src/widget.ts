// The anywidget entry (esbuild bundles it into mgdebug/static/widget.js): anywidget calls
// `render({model, el})` for each view of a `TraceViewer` and the cleanup it returns when
// the view goes. The viewer itself is viewer.ts; the model's traits and messages, model.ts.

import { render } from "./viewer";

export default { render };
