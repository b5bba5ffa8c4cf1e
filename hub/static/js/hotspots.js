// The hotspot map: the page's cells (hotspots.json, the same aggregate as the ranked list and
// the grid) as one Leaflet layer per kind, over map tiles when the hub has a tile server.
/* global L */
(function () {
  const el = document.getElementById("hotspot-map");
  if (!el || typeof L === "undefined") return;
  const layerNames = JSON.parse(el.dataset.layers);
  const colours = { incidents: "#1d70b8", open_cases: "#d4351c", police_uk: "#505a5f" };
  const map = L.map(el, { scrollWheelZoom: false });
  if (el.dataset.tiles) {
    L.tileLayer(el.dataset.tiles, { maxZoom: 19, attribution: el.dataset.attribution }).addTo(map);
  }
  fetch(el.dataset.geojson, { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
    .then((response) => response.json())
    .then((data) => {
      const overlays = {};
      const bounds = [];
      for (const [key, label] of Object.entries(layerNames)) {
        const group = L.layerGroup();
        for (const feature of data.features) {
          const count = feature.properties[key];
          if (!count) continue;
          const [lon, lat] = feature.geometry.coordinates;
          bounds.push([lat, lon]);
          L.circleMarker([lat, lon], {
            radius: Math.min(4 + Math.sqrt(count) * 2, 24),
            color: colours[key],
            weight: 1,
            fillOpacity: 0.45,
          })
            .bindTooltip(`${feature.properties.label}: ${count} (${label})`)
            .addTo(group);
        }
        group.addTo(map);
        overlays[label] = group;
      }
      L.control.layers(null, overlays, { collapsed: false }).addTo(map);
      L.control.scale({ imperial: false }).addTo(map);
      if (bounds.length) {
        map.fitBounds(bounds, { padding: [20, 20], maxZoom: 17 });
      } else {
        map.setView([54.0, -2.5], 6);
      }
      el.dataset.ready = "true";
    });
})();
