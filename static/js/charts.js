// Draws each <canvas data-chart="key"> from the JSON in #chart-data-key with Chart.js
// (served from static/vendor; nothing is loaded from the internet). The table beside each
// chart holds the same numbers, so the page reads and prints without this script.
(function () {
  "use strict";
  if (typeof Chart === "undefined") return;
  var palette = ["#1f5f8b", "#c0392b", "#2e8b57", "#8e44ad", "#d35400", "#7f8c8d", "#b7950b"];
  Chart.defaults.animation = false;
  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var source = document.getElementById("chart-data-" + canvas.dataset.chart);
    if (!source) return;
    var data = JSON.parse(source.textContent);
    var type = canvas.dataset.type || "bar";
    var datasets;
    if (type === "stacked") {
      datasets = Object.keys(data.datasets).map(function (name, i) {
        return { label: name, data: data.datasets[name], backgroundColor: palette[i % palette.length] };
      });
    } else {
      datasets = [{ label: data.title, data: data.values, backgroundColor: palette[0], borderColor: palette[0] }];
    }
    new Chart(canvas, {
      type: type === "stacked" ? "bar" : type,
      data: { labels: data.labels, datasets: datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        plugins: { legend: { display: type === "stacked" } },
        scales: {
          x: { stacked: type === "stacked" },
          y: { stacked: type === "stacked", beginAtZero: true, ticks: { precision: 0 } }
        }
      }
    });
    canvas.dataset.drawn = "1";
  });
})();
