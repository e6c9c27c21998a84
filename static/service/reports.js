// Charts of /reports/: the data comes from the page's json_script; lines differ by dash pattern and
// point shape as well as colour, so they read without colour.
(function () {
  "use strict";
  var node = document.getElementById("report-data");
  if (!node || !window.Chart) { return; }
  var data = JSON.parse(node.textContent);
  var labels = data.labels;
  // Seconds in minutes or hours (`unit` seconds each), to one decimal place.
  var inUnits = function (values, unit) { return values.map(function (v) { return v === null ? null : Math.round(v * 10 / unit) / 10; }); };
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
  // Past three hours a day's times read in hours: an axis of "8 000 минут" has to be divided in the head.
  var longest = Math.max.apply(null, data.median.concat(data.p90).filter(function (v) { return v !== null; }).concat([0]));
  var time = longest > 3 * 3600
    ? { unit: 3600, median: labels.medianHours, p90: labels.p90Hours, axis: labels.hours }
    : { unit: 60, median: labels.median, p90: labels.p90, axis: labels.minutes };
  new window.Chart(document.getElementById("chart-times"), {
    type: "line",
    data: {
      labels: data.days,
      datasets: [line(time.median, inUnits(data.median, time.unit), 0), line(time.p90, inUnits(data.p90, time.unit), 1)],
    },
    options: Object.assign({}, common, { scales: { y: { beginAtZero: true, title: { display: true, text: time.axis } } } }),
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
