// The desk's only script besides htmx: "tick every gesture shown", and focus after a swap.
document.addEventListener("change", function (event) {
  var all = event.target;
  if (all.id !== "pick-all") return;
  document.querySelectorAll('#worklist input[name="ids"]').forEach(function (box) {
    box.checked = all.checked;
  });
});
