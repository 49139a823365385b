// Figures drawn when they come near the screen, not all while the page loads: the page's
// numbers and tables show at once, and a figure below the fold costs nothing until seen.
// It wraps Plotly.newPlot (each figure's own inline script calls it, unchanged): the
// figure's box keeps its height meanwhile, so nothing moves when it is drawn.
(function () {
  "use strict";
  if (!window.Plotly || !window.IntersectionObserver) return;
  const draw = window.Plotly.newPlot.bind(window.Plotly);
  const waiting = new Map();
  const seen = new IntersectionObserver((entries) => {
    for (const entry of entries) {
      if (!entry.isIntersecting) continue;
      const args = waiting.get(entry.target);
      if (!args) continue;
      waiting.delete(entry.target);
      seen.unobserve(entry.target);
      // when it was drawn, for benchmarks/bench_pages.py (performance marks "plot:ID")
      Promise.resolve(draw(...args)).then(() => performance.mark("plot:" + entry.target.id));
    }
  }, { rootMargin: "300px 0px" });
  window.Plotly.newPlot = function (id, data, layout, config) {
    const el = typeof id === "string" ? document.getElementById(id) : id;
    if (!el) return Promise.resolve();
    el.style.minHeight = ((layout && layout.height) || 450) + "px";
    waiting.set(el, [el, data, layout, config]);
    seen.observe(el);
    return Promise.resolve(el);
  };
  // Printing or saving the page: draw every figure first.
  window.addEventListener("beforeprint", () => {
    for (const [el, args] of waiting) { seen.unobserve(el); draw(...args); }
    waiting.clear();
  });
})();
