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
    var horizontal = Boolean(data.horizontal);
    if (horizontal) {
      // One line per label, so no label is squeezed out or clipped.
      canvas.parentNode.style.height = Math.max(14, data.labels.length * 1.6 + 5) + "rem";
    }
    var axisTitle = function (text) {
      return { display: Boolean(text), text: text || "", font: { weight: "bold" } };
    };
    var categoryAxis = {
      stacked: type === "stacked",
      title: axisTitle(data.category_title),
      // Every label shown whole: long ones are drawn beside horizontal bars, never cut.
      ticks: { autoSkip: false, maxRotation: horizontal ? 0 : 45, minRotation: 0 }
    };
    var valueAxis = {
      stacked: type === "stacked",
      beginAtZero: true,
      title: axisTitle(data.value_title),
      ticks: { precision: 0 }
    };
    new Chart(canvas, {
      type: type === "stacked" ? "bar" : type,
      data: { labels: data.labels, datasets: datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        indexAxis: horizontal ? "y" : "x",
        layout: { padding: { right: 8 } },
        plugins: { legend: { display: type === "stacked", position: "bottom" } },
        scales: horizontal ? { y: categoryAxis, x: valueAxis } : { x: categoryAxis, y: valueAxis }
      }
    });
    canvas.dataset.drawn = "1";
  });
})();
