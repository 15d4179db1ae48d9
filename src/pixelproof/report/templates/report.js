(function () {
  "use strict";
  var sliders = document.querySelectorAll("input[type=range][data-overlay]");
  Array.prototype.forEach.call(sliders, function (slider) {
    var overlay = document.getElementById(slider.getAttribute("data-overlay"));
    var output = slider.parentNode.querySelector("output");
    function update() {
      if (overlay) { overlay.style.opacity = String(slider.value / 100); }
      if (output) { output.textContent = slider.value + "%"; }
    }
    slider.addEventListener("input", update);
    update();
  });
})();
