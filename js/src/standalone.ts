// The saved-trace page's boot, bundled by build.mjs into mgdebug/static/standalone.js (an
// IIFE that mgdebug/export_html.py inlines in a classic <script>): it reads the page's
// embedded traits and answers and renders the viewer with the stand-in model
// (savedModel.ts), through the same `render` the notebook widget uses.

import { parseSavedTrace, SavedModel } from "./savedModel";
import { render } from "./viewer";

export const ROOT_ID = "mgdebug-root";
export const DATA_ID = "mgdebug-data"; // a <script type="application/json"> element

/** Render the viewer into the page's root; null when the page has no root or no data. */
export function boot(doc: Document = document): (() => void) | null {
  const host = doc.getElementById(ROOT_ID);
  const data = doc.getElementById(DATA_ID)?.textContent;
  if (!host || !data) return null;
  return render({ model: new SavedModel(parseSavedTrace(data)), el: host, fill: true, saved: true });
}

if (typeof document !== "undefined") {
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => boot(), { once: true });
  else boot();
}
