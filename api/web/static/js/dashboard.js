// The leader dashboard: draws the charts from the figures the server embedded in the page, and shows the
// custom date fields only when "chosen dates" is the period. Without JavaScript the tables hold every number.
(function () {
  "use strict";
  const read = (id) => {
    const node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  };

  function togglePeriod() {
    const select = document.querySelector("[data-period]");
    if (!select) return;
    const apply = () => {
      const custom = select.value === "custom";
      document.querySelectorAll("[data-custom]").forEach((label) => {
        label.hidden = !custom;
        label.querySelectorAll("input").forEach((input) => { input.disabled = !custom; });
      });
    };
    select.addEventListener("change", apply);
    apply();
  }

  // Long unit and procedure names break into lines instead of running into each other slanted.
  function wrap(label, width) {
    const lines = [];
    String(label).split(/\s+/).forEach((word) => {
      const last = lines.length - 1;
      if (last >= 0 && (lines[last] + " " + word).length <= width) lines[last] += " " + word;
      else lines.push(word);
    });
    return lines;
  }

  // On-time, late and overdue stacked as dossiers; the online rate as a line on its own percent axis.
  function draw(canvas, data, text) {
    const colors = { on_time: "#1b7f3b", late: "#e07b00", overdue: "#b3261e", online_rate: "#0b5cad" };
    const bar = (key) => ({ type: "bar", label: text[key], data: data[key], backgroundColor: colors[key],
      stack: "dossiers", yAxisID: "y", order: 2, maxBarThickness: 90 });
    return new window.Chart(canvas, {
      data: {
        labels: data.labels.map((label) => wrap(label, 28)),
        datasets: [bar("on_time"), bar("late"), bar("overdue"), {
          type: "line", label: text.online_rate, data: data.online_rate, borderColor: colors.online_rate,
          backgroundColor: colors.online_rate, yAxisID: "rate", spanGaps: true, tension: 0.2, order: 1,
        }],
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        interaction: { mode: "index", intersect: false },
        plugins: { legend: { position: "bottom" } },
        scales: {
          x: { stacked: true, ticks: { autoSkip: false, maxRotation: 0 } },
          y: { stacked: true, beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: text.dossiers } },
          rate: { position: "right", min: 0, max: 100, grid: { drawOnChartArea: false },
                  title: { display: true, text: text.percent } },
        },
      },
    });
  }

  function charts() {
    const figures = read("dashboard-data");
    const text = read("dashboard-text");
    if (!figures || !text || !window.Chart) return;
    document.querySelectorAll("canvas[data-chart]").forEach((canvas) => {
      const data = figures[canvas.dataset.chart];
      if (data) canvas.chart = draw(canvas, data, text);
      canvas.dataset.drawn = data ? "true" : "false";
    });
  }

  togglePeriod();
  charts();
})();
