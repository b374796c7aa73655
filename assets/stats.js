/* The statistics page: print the report (the print stylesheet turns the page light). */
window.dash_clientside = window.dash_clientside || {};
window.dash_clientside.kuzet = Object.assign({}, window.dash_clientside.kuzet, {
  printPage: function (clicks) {
    if (clicks) { window.print(); }
    return kuzetT("Print the report");
  },
  chartScale: function () {
    return window.innerWidth >= 2500 ? 2 : 1;  // chart text is in pixels: double it on a 4K wall
  },
});
