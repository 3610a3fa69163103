// Starts Swagger UI on the API explorer page (templates/api/explorer.html).
// Everything it loads is local: the spec from this server, no validator badge, and the
// token typed into "Authorize" stays in this page (not saved in the browser).
(function () {
  "use strict";
  var container = document.getElementById("swagger-ui");
  if (!container || typeof window.SwaggerUIBundle !== "function") {
    return;
  }
  window.ui = window.SwaggerUIBundle({
    url: container.getAttribute("data-spec-url"),
    domNode: container,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    validatorUrl: null,
    persistAuthorization: false,
    deepLinking: false,
    tryItOutEnabled: false,
  });
})();
