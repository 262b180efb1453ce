//! The web front end, embedded: `cargo build` alone makes a binary that serves it, with
//! no CDN and no network call. The files live in `web/` (web/vendor/README.md says where
//! the vendored Cytoscape.js comes from).

/// (path under `/assets/`, content type, bytes).
const FILES: [(&str, &str, &[u8]); 7] = [
    (
        "app.css",
        "text/css; charset=utf-8",
        include_bytes!("../../web/app.css"),
    ),
    (
        "graph.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../web/graph.js"),
    ),
    (
        "console.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../web/console.js"),
    ),
    (
        "seat.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../web/seat.js"),
    ),
    (
        "vendor/cytoscape.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../web/vendor/cytoscape.min.js"),
    ),
    (
        "vendor/cytoscape.LICENSE",
        "text/plain; charset=utf-8",
        include_bytes!("../../web/vendor/cytoscape.LICENSE"),
    ),
    (
        "index.html",
        "text/html; charset=utf-8",
        include_bytes!("../../web/index.html"),
    ),
];

/// The landing page.
pub const INDEX: &str = include_str!("../../web/index.html");
/// The facilitator console.
pub const CONSOLE: &str = include_str!("../../web/console.html");
/// A player's seat.
pub const SEAT: &str = include_str!("../../web/seat.html");

/// The embedded file at `/assets/PATH`: its content type and bytes.
pub fn get(path: &str) -> Option<(&'static str, &'static [u8])> {
    FILES
        .iter()
        .find(|(p, _, _)| *p == path)
        .map(|(_, t, b)| (*t, *b))
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_asset_a_page_names_is_embedded() {
        for page in [super::INDEX, super::CONSOLE, super::SEAT] {
            for part in page.split("/assets/").skip(1) {
                let name: String = part
                    .chars()
                    .take_while(|c| !matches!(c, '"' | '\'' | ' ' | '>'))
                    .collect();
                assert!(super::get(&name).is_some(), "{name} is not embedded");
            }
        }
    }
}
