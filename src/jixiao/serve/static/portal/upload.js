// Drag and drop onto the upload area; the form works without this script.
(function () {
  var area = document.getElementById("drop-area");
  var form = document.getElementById("upload");
  if (!area || !form) { return; }
  var input = form.querySelector("input[type=file]");
  ["dragenter", "dragover"].forEach(function (name) {
    area.addEventListener(name, function (event) { event.preventDefault(); area.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (name) {
    area.addEventListener(name, function () { area.classList.remove("over"); });
  });
  area.addEventListener("drop", function (event) {
    event.preventDefault();
    if (event.dataTransfer && event.dataTransfer.files.length) {
      input.files = event.dataTransfer.files;
      form.submit();
    }
  });
})();
