// Charts of /reports/: the data comes from the page's json_script; lines differ by dash pattern and
// point shape as well as colour, so they read without colour.
(function () {
  "use strict";
  var node = document.getElementById("report-data");
  if (!node || !window.Chart) { return; }
  var data = JSON.parse(node.textContent);
  var labels = data.labels;
  var toMinutes = function (values) { return values.map(function (v) { return v === null ? null : Math.round(v / 6) / 10; }); };
  var toPercent = function (values) { return values.map(function (v) { return v === null ? null : Math.round(v * 1000) / 10; }); };
  var styles = [
    { borderColor: "#1f5fbf", borderDash: [], pointStyle: "circle" },
    { borderColor: "#c2410c", borderDash: [8, 4], pointStyle: "triangle" },
    { borderColor: "#15803d", borderDash: [2, 3], pointStyle: "rect" },
  ];
  var line = function (label, values, index) {
    return Object.assign({ label: label, data: values, spanGaps: true, borderWidth: 2, pointRadius: 3, fill: false }, styles[index % styles.length]);
  };
  var common = { responsive: true, interaction: { mode: "index", intersect: false }, plugins: { legend: { labels: { usePointStyle: true } } } };
  new window.Chart(document.getElementById("chart-times"), {
    type: "line",
    data: { labels: data.days, datasets: [line(labels.median, toMinutes(data.median), 0), line(labels.p90, toMinutes(data.p90), 1)] },
    options: Object.assign({}, common, { scales: { y: { beginAtZero: true, title: { display: true, text: labels.minutes } } } }),
  });
  new window.Chart(document.getElementById("chart-volume"), {
    type: "bar",
    data: {
      labels: data.days,
      datasets: data.volume.map(function (series, index) {
        // Bars of different marketplaces also differ by border style.
        return { label: series.label, data: series.values, borderWidth: index + 1, borderColor: "#111", backgroundColor: styles[index % styles.length].borderColor, borderDash: styles[index % styles.length].borderDash };
      }),
    },
    options: Object.assign({}, common, { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, title: { display: true, text: labels.turns } } } }),
  });
  new window.Chart(document.getElementById("chart-shares"), {
    type: "line",
    data: { labels: data.days, datasets: [line(labels.within24h, toPercent(data.within24h), 0), line(labels.slaMet, toPercent(data.slaMet), 1)] },
    options: Object.assign({}, common, { scales: { y: { min: 0, max: 100, title: { display: true, text: labels.percent } } } }),
  });
})();
