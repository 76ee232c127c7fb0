/* Draw every plotly chart on the page: a <div data-chart="ID"> gets the figure in
   <script type="application/json" id="ID"> (Django's json_script). Runs on load and
   after each htmx swap (the dashboard polls its live partial). Without plotly or
   JavaScript the page still shows every number in its tables. */
(function () {
  "use strict";
  var config = { displayModeBar: false, responsive: true };

  function draw(root) {
    if (typeof window.Plotly === "undefined") return;
    var nodes = (root || document).querySelectorAll("[data-chart]");
    for (var i = 0; i < nodes.length; i++) {
      var node = nodes[i];
      var source = document.getElementById(node.getAttribute("data-chart"));
      if (!source) continue;
      try {
        var figure = JSON.parse(source.textContent);
        window.Plotly.react(node, figure.data, figure.layout, config);
      } catch (err) {
        node.textContent = "This chart could not be drawn.";
      }
    }
  }

  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:load", function (event) { draw(event.target); });
})();
