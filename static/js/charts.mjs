// Draws plotly charts from the JSON in each [data-figure] element. plotly.js is served
// from the installed plotly package (never a CDN) and loaded before this module.
for (const element of document.querySelectorAll("[data-figure]")) {
  const figure = JSON.parse(element.dataset.figure);
  window.Plotly.newPlot(element, figure.data, figure.layout, { displaylogo: false, displayModeBar: false, responsive: true });
}
