// Starts Swagger UI from a file of our own, so /docs needs no inline script and no CDN.
window.addEventListener("DOMContentLoaded", () => {
  window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true });
});
