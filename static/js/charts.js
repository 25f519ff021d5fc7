/* Dashboard charts: Chart.js draws each <canvas data-chart="name"> from the page's JSON
 * data island (<script type="application/json" id="dashboard-charts">, rendered by
 * Django's json_script: data, never executed, so the CSP allows it). A table with the
 * same figures sits next to every chart, so without JavaScript nothing is lost.
 *
 * A chart spec: {type, labels, datasets: [{label, data, stack?, dashed?}], stacked?,
 * percent?, currency?}. Amounts arrive as decimal strings, like everywhere in the API, and
 * are shown as the page's language writes amounts (12.500 € in German, € 12.500 in Dutch,
 * €12,500 in English: docs/i18n.md). Labels arrive translated from the server. */
(function () {
  "use strict";

  const COLORS = ["#4f46e5", "#16a34a", "#d97706", "#dc2626", "#0891b2", "#7c3aed", "#db2777", "#65a30d"];
  const language = document.documentElement.lang || undefined;
  const number = new Intl.NumberFormat(language, { maximumFractionDigits: 1 });

  function formatter(spec) {
    if (spec.percent) return (value) => `${number.format(value)} %`;
    if (spec.currency) {
      const money = new Intl.NumberFormat(language, {
        style: "currency",
        currency: spec.currency,
        maximumFractionDigits: 0,
        minimumFractionDigits: 0,
      });
      return (value) => money.format(Math.round(value));
    }
    return (value) => number.format(value);
  }

  function dataset(spec, set, index) {
    const color = COLORS[index % COLORS.length];
    const style = {
      label: set.label,
      data: set.data.map((value) => (value === null ? null : Number(value))),
      backgroundColor: spec.type === "doughnut" ? spec.labels.map((_, i) => COLORS[i % COLORS.length]) : color,
      borderColor: spec.type === "doughnut" ? "#ffffff" : color,
    };
    if (set.stack) style.stack = set.stack;
    if (spec.type === "line") {
      style.pointRadius = 0;
      style.tension = 0.2;
      if (set.dashed) style.borderDash = [6, 4];
    }
    return style;
  }

  function config(spec) {
    const format = formatter(spec);
    const options = {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: spec.type === "doughnut" ? "nearest" : "index", intersect: false },
      plugins: {
        tooltip: {
          callbacks: {
            label: (item) => {
              const value = typeof item.parsed === "object" ? item.parsed.y : item.parsed;
              return `${item.dataset.label}: ${value === null ? "—" : format(value)}`;
            },
          },
        },
      },
    };
    if (spec.type !== "doughnut") {
      options.scales = {
        x: { stacked: Boolean(spec.stacked) },
        y: { stacked: Boolean(spec.stacked), beginAtZero: true, ticks: { callback: format } },
      };
      if (spec.percent) options.scales.y.max = 100;
    }
    return {
      type: spec.type,
      data: { labels: spec.labels, datasets: spec.datasets.map((set, i) => dataset(spec, set, i)) },
      options,
    };
  }

  const island = document.getElementById("dashboard-charts");
  if (!island || !window.Chart) return;
  const specs = JSON.parse(island.textContent);
  document.querySelectorAll("canvas[data-chart]").forEach((canvas) => {
    const spec = specs[canvas.dataset.chart];
    if (spec && spec.labels.length) new window.Chart(canvas, config(spec));
  });
})();
