//! The estate map: assets grouped in one box per network segment (the internet and cloud
//! services in their own box), each coloured by the share of trials in which it was
//! compromised, crown jewels ringed and starred, relations as thin lines.
//!
//! Two panels, one above the other, on one shared layout so an asset sits at the same
//! place in both: the `none` set (or the first set when `none` was not run), and of the
//! other sets the user asked for the one with the smallest mean blast radius, the
//! sharpest contrast.
//!
//! Up to [`AGGREGATE_ABOVE`] assets every asset is drawn; beyond, the map aggregates first
//! and never lays out individual assets: a matrix of segments (rows) by asset kinds
//! (columns), one bubble per cell sized by its asset count and coloured by its mean
//! compromise rate, with the busiest relations between cells as faint lines. The work is
//! linear in assets + relations (one hash lookup per asset, two per relation), so a
//! million-asset estate maps in about the time it takes to read it.

use super::{Draw, DrawResult, INK, MUTED, PlotData, font_at, label, titled};
use crate::estate::{AssetView, EstateView};
use crate::model::{AssetKind, Pillar};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};
use std::collections::HashMap;

/// Estates with more drawable assets than this are mapped by segment × kind.
pub const AGGREGATE_ABOVE: usize = 250;
/// Below this, every asset carries its id as a label.
const LABEL_UP_TO: usize = 120;
/// Most segment boxes drawn; the smallest of the rest are merged into one.
const MAX_GROUPS: usize = 24;

const PANEL_W: u32 = 1600;
/// Tallest panel; a panel is as tall as its layout needs.
const PANEL_H: u32 = 1100;
const LEGEND_W: i32 = 250;
const GAP: f64 = 18.0;
const PAD: f64 = 10.0;
const HEADER: f64 = 30.0;

/// A segment box, in layout units.
#[derive(Clone, Debug)]
pub(crate) struct GroupBox {
    pub title: String,
    /// The segment asset's id, when it is one (its compromise rate heads the box).
    pub segment: Option<String>,
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

/// A drawn node: one asset, or (aggregated) every asset of a kind in a segment.
#[derive(Clone, Debug)]
pub(crate) struct MapNode {
    pub x: f64,
    pub y: f64,
    pub r: f64,
    pub label: String,
    /// Groups are containers of rights, not counted in the blast radius.
    pub counted: bool,
    pub crown_jewels: usize,
    pub assets: usize,
}

/// The map's geometry, computed once per estate and shared by every panel.
#[derive(Clone, Debug)]
pub(crate) struct MapLayout {
    /// Segment × kind matrix: `groups` are its rows, `columns` its kinds.
    pub aggregated: bool,
    /// Matrix columns: kind name and x centre, above the rows.
    pub columns: Vec<(String, f64)>,
    /// Height of the column headers (matrix only).
    pub header_h: f64,
    pub groups: Vec<GroupBox>,
    pub nodes: Vec<MapNode>,
    /// Pairs of node indices joined by at least one relation, with the count.
    pub edges: Vec<(u32, u32, u32)>,
    pub width: f64,
    pub height: f64,
    /// Node of each asset of the view (u32::MAX for segments, which head boxes instead).
    node_of: Vec<u32>,
}

/// Asset id → position in the estate view.
pub(crate) type AssetIndex<'a> = HashMap<&'a str, u32>;

pub(crate) fn asset_index(estate: &EstateView) -> AssetIndex<'_> {
    estate
        .assets
        .iter()
        .enumerate()
        .map(|(i, a)| (a.id.as_str(), i as u32))
        .collect()
}

fn is_segment(k: AssetKind) -> bool {
    k == AssetKind::Segment
}

fn pillar_rank(p: Pillar) -> usize {
    Pillar::ALL.iter().position(|&q| q == p).unwrap_or(0)
}

/// The segment each asset is drawn in: the internet (and the cloud) first, then segments
/// in estate order, then segments only named by assets.
struct SegmentGroups<'a> {
    /// Segment id of each group.
    seg_ids: Vec<&'a str>,
    /// Group of each asset of the view.
    group: Vec<u32>,
    /// Assets (segments not counted) per group.
    size: Vec<usize>,
}

impl<'a> SegmentGroups<'a> {
    /// Groups the assets of a view by segment.
    fn new(assets: &'a [AssetView]) -> Self {
        let mut group_of_seg: HashMap<&str, usize> = HashMap::new();
        let mut seg_ids: Vec<&str> = vec!["internet"];
        group_of_seg.insert("internet", 0);
        for a in assets.iter().filter(|a| is_segment(a.kind)) {
            if !group_of_seg.contains_key(a.id.as_str()) {
                group_of_seg.insert(&a.id, seg_ids.len());
                seg_ids.push(&a.id);
            }
        }
        // The group of every asset; neighbours in a file usually share a segment.
        let mut group: Vec<u32> = Vec::with_capacity(assets.len());
        let mut last: Option<(&str, usize)> = None;
        for a in assets {
            let g = match last {
                Some((seg, g)) if seg == a.segment => g,
                _ => {
                    let next = seg_ids.len();
                    let g = *group_of_seg.entry(&a.segment).or_insert(next);
                    if g == next {
                        seg_ids.push(&a.segment);
                    }
                    last = Some((&a.segment, g));
                    g
                }
            };
            group.push(g as u32);
        }
        let mut size = vec![0usize; seg_ids.len()];
        for (a, &g) in assets.iter().zip(&group) {
            if !is_segment(a.kind) {
                size[g as usize] += 1;
            }
        }
        SegmentGroups {
            seg_ids,
            group,
            size,
        }
    }
}

/// The boxes drawn and the box of each segment group: the internet and the largest
/// segments, at most [`MAX_GROUPS`], the rest merged into one "other segments" box. Boxes
/// are titled and not yet placed.
fn group_boxes(assets: &[AssetView], segs: &SegmentGroups) -> (Vec<usize>, Vec<GroupBox>) {
    let (seg_ids, size) = (&segs.seg_ids, &segs.size);
    let mut order: Vec<usize> = (1..seg_ids.len()).filter(|&g| size[g] > 0).collect();
    order.sort_by(|&a, &b| size[b].cmp(&size[a]).then(a.cmp(&b)));
    let mut box_of = vec![usize::MAX; seg_ids.len()];
    let mut kept: Vec<usize> = Vec::new();
    if size[0] > 0 {
        kept.push(0);
    }
    let room = MAX_GROUPS - 1;
    let overflow = order.len() > room;
    let keep_n = if overflow { room - 1 } else { order.len() };
    let mut keep_rest: Vec<usize> = order[..keep_n].to_vec();
    keep_rest.sort();
    kept.extend(keep_rest);
    for (b, &g) in kept.iter().enumerate() {
        box_of[g] = b;
    }
    let other_box = kept.len();
    if overflow {
        for &g in &order[keep_n..] {
            box_of[g] = other_box;
        }
    }
    let seg_name: HashMap<&str, &str> = assets
        .iter()
        .filter(|a| is_segment(a.kind))
        .map(|a| (a.id.as_str(), a.name.as_str()))
        .collect();
    let mut boxes: Vec<GroupBox> = kept
        .iter()
        .map(|&g| {
            let id = seg_ids[g];
            let title = if g == 0 {
                "internet and cloud".to_string()
            } else if id.is_empty() {
                "no segment (identities, credentials, unplaced assets)".to_string()
            } else {
                match seg_name.get(id) {
                    Some(n) if !n.is_empty() && *n != id => format!("{id}: {n}"),
                    _ => id.to_string(),
                }
            };
            GroupBox {
                title: label(&title, 60),
                segment: (g != 0 && seg_name.contains_key(id)).then(|| id.to_string()),
                x: 0.0,
                y: 0.0,
                w: 0.0,
                h: 0.0,
            }
        })
        .collect();
    if overflow {
        boxes.push(GroupBox {
            title: format!("{} other segments", order.len() - keep_n),
            segment: None,
            x: 0.0,
            y: 0.0,
            w: 0.0,
            h: 0.0,
        });
    }
    (box_of, boxes)
}

/// The nodes of each box before placement, and which node each asset is drawn as.
struct Items {
    per_box: Vec<Vec<MapNode>>,
    /// Node of each asset of the view (u32::MAX for segments).
    node_of: Vec<u32>,
    /// Matrix columns: kind name, x centre once placed (aggregated only).
    columns: Vec<(String, f64)>,
    /// Box and column of each node, in node order (aggregated only).
    cells: Vec<(usize, usize)>,
}

/// Aggregated items: one node per kind present in each box, counting its assets and crown
/// jewels; columns are the kinds present, by pillar then kind.
fn kind_items(assets: &[AssetView], group: &[u32], box_of: &[usize], n_boxes: usize) -> Items {
    let mut node_of = vec![u32::MAX; assets.len()];
    let mut per_box: Vec<Vec<MapNode>> = vec![Vec::new(); n_boxes];
    let mut cells: Vec<(usize, usize)> = Vec::new();
    let nk = AssetKind::ALL.len();
    let mut slot = vec![u32::MAX; n_boxes * nk];
    let mut tmp: Vec<(usize, AssetKind, usize, usize)> = Vec::new();
    let mut assign: Vec<u32> = vec![u32::MAX; assets.len()];
    for (i, a) in assets.iter().enumerate() {
        if is_segment(a.kind) {
            continue;
        }
        let b = box_of[group[i] as usize];
        let s = b * nk + a.kind.index();
        if slot[s] == u32::MAX {
            slot[s] = tmp.len() as u32;
            tmp.push((b, a.kind, 0, 0));
        }
        let t = &mut tmp[slot[s] as usize];
        t.2 += 1;
        t.3 += usize::from(a.crown_jewel);
        assign[i] = slot[s];
    }
    // Columns: the kinds present, by pillar then kind.
    let mut kinds: Vec<AssetKind> = Vec::new();
    for t in &tmp {
        if !kinds.contains(&t.1) {
            kinds.push(t.1);
        }
    }
    kinds.sort_by_key(|k| (pillar_rank(k.pillar()), k.index()));
    let col_of = |k: AssetKind| kinds.iter().position(|&x| x == k).unwrap_or(0);
    let mut ids: Vec<usize> = (0..tmp.len()).collect();
    ids.sort_by_key(|&t| (tmp[t].0, col_of(tmp[t].1)));
    let mut node_id = vec![0u32; tmp.len()];
    for (k, &t) in ids.iter().enumerate() {
        node_id[t] = k as u32;
        let (b, kind, count, cj) = tmp[t];
        per_box[b].push(MapNode {
            x: 0.0,
            y: 0.0,
            r: 0.0,
            label: count.to_string(),
            counted: kind.counts_in_blast_radius(),
            crown_jewels: cj,
            assets: count,
        });
        cells.push((b, col_of(kind)));
    }
    for (i, &s) in assign.iter().enumerate() {
        if s != u32::MAX {
            node_of[i] = node_id[s as usize];
        }
    }
    let columns = kinds.iter().map(|k| (k.name().to_string(), 0.0)).collect();
    Items {
        per_box,
        node_of,
        columns,
        cells,
    }
}

/// One node per asset (segments excepted), in each box by pillar, kind and id; labelled
/// with its id in small estates.
fn asset_items(
    assets: &[AssetView],
    group: &[u32],
    box_of: &[usize],
    n_boxes: usize,
    labelled: bool,
) -> Items {
    let mut node_of = vec![u32::MAX; assets.len()];
    let mut per_box: Vec<Vec<MapNode>> = vec![Vec::new(); n_boxes];
    let mut ids: Vec<usize> = (0..assets.len())
        .filter(|&i| !is_segment(assets[i].kind))
        .collect();
    let key = |i: usize| {
        let a = &assets[i];
        (
            box_of[group[i] as usize],
            pillar_rank(a.kind.pillar()),
            a.kind.index(),
        )
    };
    ids.sort_by(|&x, &y| key(x).cmp(&key(y)).then(assets[x].id.cmp(&assets[y].id)));
    for (k, &i) in ids.iter().enumerate() {
        let a = &assets[i];
        node_of[i] = k as u32;
        per_box[key(i).0].push(MapNode {
            x: 0.0,
            y: 0.0,
            r: if labelled { 10.0 } else { 9.0 },
            label: if labelled {
                label(&a.id, 16)
            } else {
                String::new()
            },
            counted: a.kind.counts_in_blast_radius(),
            crown_jewels: usize::from(a.crown_jewel),
            assets: 1,
        });
    }
    Items {
        per_box,
        node_of,
        columns: Vec::new(),
        cells: Vec::new(),
    }
}

/// Places an aggregated map as a matrix: segment titles on the left, one row per box, one
/// column per kind, bubbles sized by the square root of their count. Returns the nodes in
/// order, the width, the height and the column header height.
fn place_matrix(
    items: &mut Items,
    boxes: &mut [GroupBox],
    avail_w: f64,
) -> (Vec<MapNode>, f64, f64, f64) {
    const TITLE_W: f64 = 300.0;
    let per_box = std::mem::take(&mut items.per_box);
    let (columns, cells) = (&mut items.columns, &items.cells);
    let n_boxes = boxes.len();
    let mut nodes: Vec<MapNode> = Vec::with_capacity(per_box.iter().map(Vec::len).sum());
    // Rows shrink when there are many, so the matrix keeps a readable width.
    let row_h: f64 = if n_boxes > 12 { 44.0 } else { 56.0 };
    let header_h = 44.0;
    let ncols = columns.len().max(1) as f64;
    let cw = ((avail_w - TITLE_W) / ncols).clamp(64.0, 200.0);
    for (c, col) in columns.iter_mut().enumerate() {
        col.1 = TITLE_W + (c as f64 + 0.5) * cw;
    }
    let max_count = per_box
        .iter()
        .flatten()
        .map(|n| n.assets)
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let r_max = (cw / 2.0 - 5.0).min(row_h / 2.0 - 9.0);
    let mut k = 0;
    for (b, its) in per_box.into_iter().enumerate() {
        let y = header_h + b as f64 * row_h;
        boxes[b].x = 0.0;
        boxes[b].y = y;
        boxes[b].w = TITLE_W + ncols * cw;
        boxes[b].h = row_h;
        for mut it in its {
            let (_, c) = cells[k];
            k += 1;
            it.x = columns[c].1;
            it.y = y + 3.0 + r_max;
            it.r = (r_max * (it.assets as f64 / max_count).sqrt()).max(3.0);
            nodes.push(it);
        }
    }
    let width = TITLE_W + ncols * cw;
    let height = header_h + n_boxes as f64 * row_h;
    (nodes, width, height, header_h)
}

/// Places the boxes of a per-asset map, shelf-packed into the available width, each a grid
/// of cells wide enough for its title. Returns the nodes in order, the width and the height.
fn shelf_pack(
    items: &mut Items,
    boxes: &mut [GroupBox],
    avail_w: f64,
    labelled: bool,
) -> (Vec<MapNode>, f64, f64) {
    let per_box = std::mem::take(&mut items.per_box);
    let mut nodes: Vec<MapNode> = Vec::with_capacity(per_box.iter().map(Vec::len).sum());
    let (cw, ch) = if labelled {
        (180.0, 72.0)
    } else {
        (40.0, 40.0)
    };
    let max_cols = (((avail_w - 2.0 * PAD) / cw).floor() as usize).max(1);
    let (mut x, mut y, mut shelf_h, mut w_max) = (0.0_f64, 0.0_f64, 0.0_f64, 0.0_f64);
    for (b, its) in per_box.into_iter().enumerate() {
        let n = its.len().max(1);
        let cols = ((n as f64 * 2.2).sqrt().ceil() as usize).clamp(1, n.min(max_cols));
        let suffix = if boxes[b].segment.is_some() {
            20.0
        } else {
            0.0
        };
        let min_cols = (((boxes[b].title.chars().count() as f64 + suffix) * 7.5 + 2.0 * PAD) / cw)
            .ceil()
            .max(1.0) as usize;
        let cols = cols.max(min_cols.min(max_cols));
        let rows = n.div_ceil(cols);
        let (w, h) = (
            cols as f64 * cw + 2.0 * PAD,
            HEADER + rows as f64 * ch + PAD,
        );
        if x > 0.0 && x + w > avail_w {
            x = 0.0;
            y += shelf_h + GAP;
            shelf_h = 0.0;
        }
        boxes[b].x = x;
        boxes[b].y = y;
        boxes[b].w = w;
        boxes[b].h = h;
        for (k, mut it) in its.into_iter().enumerate() {
            it.x = x + PAD + (k % cols) as f64 * cw + cw / 2.0;
            it.y = y + HEADER + (k / cols) as f64 * ch + if labelled { 16.0 } else { ch / 2.0 };
            nodes.push(it);
        }
        x += w + GAP;
        w_max = w_max.max(x - GAP);
        shelf_h = shelf_h.max(h);
    }
    (nodes, w_max, y + shelf_h)
}

/// Relations counted between nodes (one line per pair, however many relations), busiest
/// first; at most 150 lines in a matrix, 3000 otherwise.
fn node_edges(
    estate: &EstateView,
    index: &AssetIndex<'_>,
    node_of: &[u32],
    aggregated: bool,
) -> Vec<(u32, u32, u32)> {
    let mut pairs: HashMap<(u32, u32), u32> = HashMap::new();
    for r in &estate.relations {
        let (Some(&a), Some(&b)) = (index.get(r.from.as_str()), index.get(r.to.as_str())) else {
            continue;
        };
        let (a, b) = (node_of[a as usize], node_of[b as usize]);
        if a == u32::MAX || b == u32::MAX || a == b {
            continue;
        }
        *pairs.entry((a.min(b), a.max(b))).or_insert(0) += 1;
    }
    let mut edges: Vec<(u32, u32, u32)> = pairs.into_iter().map(|((a, b), c)| (a, b, c)).collect();
    edges.sort_by(|x, y| y.2.cmp(&x.2).then((x.0, x.1).cmp(&(y.0, y.1))));
    edges.truncate(if aggregated { 150 } else { 3000 });
    edges
}

impl MapLayout {
    /// Lays out `estate` (indexed by [`asset_index`]) for a panel whose drawable area is
    /// `avail_w` wide. Linear in assets + relations, one hash lookup per asset and two per
    /// relation.
    pub fn new(estate: &EstateView, index: &AssetIndex<'_>, avail_w: f64) -> MapLayout {
        let assets = &estate.assets;
        let segs = SegmentGroups::new(assets);
        let (box_of, mut boxes) = group_boxes(assets, &segs);
        let drawable = assets.iter().filter(|a| !is_segment(a.kind)).count();
        let aggregated = drawable > AGGREGATE_ABOVE;
        let labelled = !aggregated && drawable <= LABEL_UP_TO;
        let mut items = if aggregated {
            kind_items(assets, &segs.group, &box_of, boxes.len())
        } else {
            asset_items(assets, &segs.group, &box_of, boxes.len(), labelled)
        };
        let (nodes, width, height, header_h) = if aggregated {
            place_matrix(&mut items, &mut boxes, avail_w)
        } else {
            let (nodes, width, height) = shelf_pack(&mut items, &mut boxes, avail_w, labelled);
            (nodes, width, height, 0.0)
        };
        let edges = node_edges(estate, index, &items.node_of, aggregated);
        MapLayout {
            aggregated,
            columns: items.columns,
            header_h,
            groups: boxes,
            nodes,
            edges,
            width,
            height,
            node_of: items.node_of,
        }
    }

    /// Mean compromise rate per node under a set's `asset_compromise_rate` (assets absent
    /// from it were never compromised).
    pub fn node_rates(
        &self,
        index: &AssetIndex<'_>,
        rates: &std::collections::BTreeMap<String, f64>,
    ) -> Vec<f64> {
        let mut sum = vec![0.0; self.nodes.len()];
        for (id, r) in rates {
            if let Some(&i) = index.get(id.as_str()) {
                let n = self.node_of[i as usize];
                if n != u32::MAX {
                    sum[n as usize] += r;
                }
            }
        }
        sum.iter()
            .zip(&self.nodes)
            .map(|(s, n)| s / n.assets.max(1) as f64)
            .collect()
    }
}

/// Sequential colour scale for a share in [0, 1]: pale yellow (never) to dark red (always).
pub fn rate_color(r: f64) -> RGBColor {
    const STOPS: [(f64, (u8, u8, u8)); 5] = [
        (0.0, (0xFF, 0xFF, 0xCC)),
        (0.25, (0xFE, 0xD9, 0x76)),
        (0.5, (0xFD, 0x8D, 0x3C)),
        (0.75, (0xE3, 0x1A, 0x1C)),
        (1.0, (0x80, 0x00, 0x26)),
    ];
    let r = if r.is_finite() {
        r.clamp(0.0, 1.0)
    } else {
        0.0
    };
    for w in STOPS.windows(2) {
        let ((a, ca), (b, cb)) = (w[0], w[1]);
        if r <= b {
            let t = (r - a) / (b - a);
            let m = |x: u8, y: u8| (x as f64 + (y as f64 - x as f64) * t).round() as u8;
            return RGBColor(m(ca.0, cb.0), m(ca.1, cb.1), m(ca.2, cb.2));
        }
    }
    let c = STOPS[4].1;
    RGBColor(c.0, c.1, c.2)
}

fn star(cx: i32, cy: i32, r: f64) -> Vec<(i32, i32)> {
    (0..10)
        .map(|k| {
            let a = -std::f64::consts::FRAC_PI_2 + k as f64 * std::f64::consts::PI / 5.0;
            let rr = if k % 2 == 0 { r } else { r * 0.45 };
            (
                cx + (rr * a.cos()).round() as i32,
                cy + (rr * a.sin()).round() as i32,
            )
        })
        .collect()
}

pub(crate) struct EstateMap<'a> {
    data: &'a PlotData,
    panels: Vec<usize>,
    layout: MapLayout,
    /// Per panel, each node's compromise rate.
    rates: Vec<Vec<f64>>,
    panel_h: u32,
}

/// Panel title band and bottom margin, in pixels.
const PANEL_TOP: f64 = 40.0;
const PANEL_BOTTOM: f64 = 12.0;
/// Width the layout is drawn into: the panel less the legend and margins.
const MAP_W: f64 = (PANEL_W as i32 - LEGEND_W - 40) as f64;

/// Where a panel draws the layout: its origin in pixels and the layout's scale.
struct Frame {
    ox: f64,
    oy: f64,
    scale: f64,
}

impl Frame {
    /// A layout point in pixels.
    fn px(&self, x: f64, y: f64) -> (i32, i32) {
        (
            (self.ox + x * self.scale).round() as i32,
            (self.oy + y * self.scale).round() as i32,
        )
    }

    /// Font size of box titles and column headers.
    fn title_size(&self) -> f64 {
        (19.0 * self.scale).clamp(16.0, 20.0)
    }
}

fn map_scale(l: &MapLayout, avail_w: f64, avail_h: f64) -> f64 {
    (avail_w / l.width.max(1.0))
        .min(avail_h / l.height.max(1.0))
        .min(1.6)
}

impl<'a> EstateMap<'a> {
    pub fn new(data: &'a PlotData) -> Self {
        let primary = data.primary_sets();
        let sets = &data.summary.control_sets;
        let base = primary
            .iter()
            .copied()
            .find(|&i| sets[i].name == "none")
            .or(primary.first().copied());
        let mut panels: Vec<usize> = base.into_iter().collect();
        // The other panel: the set that cuts the mean blast radius most (the first such).
        let other = primary
            .iter()
            .copied()
            .filter(|&i| Some(i) != base)
            .min_by(|&a, &b| {
                sets[a]
                    .blast_radius
                    .mean
                    .total_cmp(&sets[b].blast_radius.mean)
                    .then(a.cmp(&b))
            });
        panels.extend(other);
        let index = asset_index(&data.estate);
        let layout = MapLayout::new(&data.estate, &index, MAP_W);
        let rates = panels
            .iter()
            .map(|&i| layout.node_rates(&index, &sets[i].asset_compromise_rate))
            .collect();
        // As tall as the layout needs at the scale that fills the width, within bounds.
        let scale = map_scale(&layout, MAP_W, f64::INFINITY);
        let panel_h =
            (PANEL_TOP + layout.height * scale + PANEL_BOTTOM).clamp(360.0, PANEL_H as f64);
        EstateMap {
            data,
            panels,
            layout,
            rates,
            panel_h: panel_h.ceil() as u32,
        }
    }

    /// One panel: its title, then the boxes (or matrix rows), the matrix column headers,
    /// the relations and the nodes coloured by `rates`, under control set `set`.
    fn panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        set: usize,
        rates: &[f64],
    ) -> DrawResult<DB> {
        let s = &self.data.summary.control_sets[set];
        let l = &self.layout;
        let (w, h) = area.dim_in_pixel();
        area.draw(&Text::new(
            format!("under {}", label(&s.name, 50)),
            (20, 6),
            font_at(20.0, HPos::Left, VPos::Top).color(&super::set_color(set)),
        ))?;
        let f = Frame {
            ox: 20.0,
            oy: PANEL_TOP,
            scale: map_scale(l, w as f64 - 40.0, h as f64 - PANEL_TOP - PANEL_BOTTOM),
        };
        self.draw_boxes(area, set, &f)?;
        if l.aggregated {
            self.draw_column_headers(area, &f)?;
        }
        self.draw_relations(area, &f)?;
        self.draw_nodes(area, rates, &f)
    }

    /// Boxes (or matrix rows) with their segment's title and how often the segment was
    /// reached under set `set`.
    fn draw_boxes<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        set: usize,
        f: &Frame,
    ) -> DrawResult<DB> {
        let s = &self.data.summary.control_sets[set];
        let l = &self.layout;
        let fs = f.title_size();
        for (b, g) in l.groups.iter().enumerate() {
            let (x0, y0) = f.px(g.x, g.y);
            let (x1, y1) = f.px(g.x + g.w, g.y + g.h);
            let fill = if l.aggregated && b % 2 == 1 {
                RGBColor(0xFF, 0xFF, 0xFF)
            } else {
                RGBColor(0xF4, 0xF6, 0xF8)
            };
            area.draw(&Rectangle::new([(x0, y0), (x1, y1)], fill.filled()))?;
            area.draw(&Rectangle::new(
                [(x0, y0), (x1, y1)],
                RGBColor(0xB8, 0xC0, 0xC8).stroke_width(1),
            ))?;
            let reached = g.segment.as_ref().map(|seg| {
                let r = s.asset_compromise_rate.get(seg).copied().unwrap_or(0.0);
                format!("reached in {:.0}%", r * 100.0)
            });
            if l.aggregated {
                // Title, and under it how often the segment was reached.
                let title_w = l.columns.first().map_or(g.w, |c| c.1 - 40.0);
                let max_chars = ((title_w * f.scale - 12.0) / (fs * 0.6)).max(4.0) as usize;
                let mid = (y0 + y1) / 2;
                let (ty, v) = if reached.is_some() {
                    (mid - 1, VPos::Bottom)
                } else {
                    (mid, VPos::Center)
                };
                area.draw(&Text::new(
                    label(&g.title, max_chars),
                    (x0 + 6, ty),
                    font_at(fs, HPos::Left, v),
                ))?;
                if let Some(r) = reached {
                    area.draw(&Text::new(
                        r,
                        (x0 + 6, mid + 2),
                        font_at(fs * 0.9, HPos::Left, VPos::Top).color(&MUTED),
                    ))?;
                }
            } else {
                let title = match reached {
                    Some(r) => format!("{} · {r}", g.title),
                    None => g.title.clone(),
                };
                let max_chars = (((x1 - x0) as f64 - 12.0) / (fs * 0.6)).max(4.0) as usize;
                area.draw(&Text::new(
                    label(&title, max_chars),
                    (x0 + 6, y0 + (6.0 * f.scale) as i32 + 2),
                    font_at(fs, HPos::Left, VPos::Top),
                ))?;
            }
        }
        Ok(())
    }

    /// Matrix column headers: the asset kinds, staggered when columns are narrow.
    fn draw_column_headers<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        f: &Frame,
    ) -> DrawResult<DB> {
        let l = &self.layout;
        let fs = f.title_size();
        let narrow = l.columns.len() > 1 && (l.columns[1].1 - l.columns[0].1) * f.scale < 120.0;
        for (c, (kind, x)) in l.columns.iter().enumerate() {
            let lift = if narrow && c % 2 == 1 { 18.0 } else { 0.0 };
            let (x, y) = f.px(*x, l.header_h);
            area.draw(&Text::new(
                kind.clone(),
                (x, y - 8 - lift as i32),
                font_at(fs, HPos::Center, VPos::Bottom),
            ))?;
        }
        Ok(())
    }

    /// Relations, beneath the nodes: faint lines, darker for busier pairs in a matrix.
    fn draw_relations<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        f: &Frame,
    ) -> DrawResult<DB> {
        let l = &self.layout;
        let max_c = l.edges.iter().map(|e| e.2).max().unwrap_or(1) as f64;
        for &(a, b, c) in &l.edges {
            let (na, nb) = (&l.nodes[a as usize], &l.nodes[b as usize]);
            let alpha = if l.aggregated {
                0.12 + 0.4 * ((c as f64).ln_1p() / max_c.ln_1p())
            } else {
                0.22
            };
            area.draw(&PathElement::new(
                vec![f.px(na.x, na.y), f.px(nb.x, nb.y)],
                RGBColor(0x50, 0x60, 0x70).mix(alpha).stroke_width(1),
            ))?;
        }
        Ok(())
    }

    /// Nodes: counted assets as circles coloured by their compromise rate, groups as grey
    /// squares, crown jewels ringed and starred, labels beneath.
    fn draw_nodes<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        rates: &[f64],
        f: &Frame,
    ) -> DrawResult<DB> {
        let l = &self.layout;
        for (n, &r) in l.nodes.iter().zip(rates) {
            let c = f.px(n.x, n.y);
            let rad = ((n.r * f.scale).round() as i32).max(3);
            if n.crown_jewels > 0 {
                area.draw(&Circle::new(c, rad + 5, INK.stroke_width(3)))?;
            }
            if n.counted {
                area.draw(&Circle::new(c, rad, rate_color(r).filled()))?;
                area.draw(&Circle::new(
                    c,
                    rad,
                    RGBColor(0x55, 0x55, 0x55).stroke_width(1),
                ))?;
            } else {
                let q = rad - 1;
                area.draw(&Rectangle::new(
                    [(c.0 - q, c.1 - q), (c.0 + q, c.1 + q)],
                    RGBColor(0xE0, 0xE0, 0xE0).filled(),
                ))?;
                area.draw(&Rectangle::new(
                    [(c.0 - q, c.1 - q), (c.0 + q, c.1 + q)],
                    RGBColor(0x88, 0x88, 0x88).stroke_width(1),
                ))?;
            }
            if n.crown_jewels > 0 {
                let sr = (7.0 * f.scale.max(0.8)).round();
                area.draw(&Polygon::new(
                    star(c.0 + rad + 3, c.1 - rad - 3, sr),
                    RGBColor(0x11, 0x11, 0x11).filled(),
                ))?;
            }
            if !n.label.is_empty() {
                let fs = (18.0 * f.scale).clamp(17.0, 19.0);
                let mut text = n.label.clone();
                if l.aggregated && n.crown_jewels > 0 {
                    text = format!("{text} ({} ★)", n.crown_jewels);
                }
                area.draw(&Text::new(
                    text,
                    (c.0, c.1 + rad + 3 + if n.crown_jewels > 0 { 4 } else { 0 }),
                    font_at(fs, HPos::Center, VPos::Top).color(if n.counted {
                        &INK
                    } else {
                        &MUTED
                    }),
                ))?;
            }
        }
        Ok(())
    }

    fn legend<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let x = 20;
        let mut y = 10;
        let t = |s: &str, x: i32, y: i32, size: f64| {
            Text::new(
                s.to_string(),
                (x, y),
                font_at(size, HPos::Left, VPos::Center),
            )
        };
        area.draw(&t("compromised in", x, y, 16.0))?;
        y += 20;
        area.draw(&t("(share of trials)", x, y, 14.0))?;
        y += 18;
        let (bar_h, bar_w) = (240, 26);
        for k in 0..bar_h {
            let r = 1.0 - k as f64 / (bar_h - 1) as f64;
            area.draw(&Rectangle::new(
                [(x, y + k), (x + bar_w, y + k + 1)],
                rate_color(r).filled(),
            ))?;
        }
        area.draw(&Rectangle::new(
            [(x, y), (x + bar_w, y + bar_h)],
            INK.stroke_width(1),
        ))?;
        for q in 0..=4 {
            let yy = y + bar_h - q * bar_h / 4;
            area.draw(&PathElement::new(
                vec![(x + bar_w, yy), (x + bar_w + 6, yy)],
                INK.stroke_width(1),
            ))?;
            area.draw(&t(&format!("{}%", q * 25), x + bar_w + 10, yy, 14.0))?;
        }
        y += bar_h + 36;
        area.draw(&Circle::new((x + 13, y), 10, rate_color(0.5).filled()))?;
        area.draw(&Circle::new((x + 13, y), 15, INK.stroke_width(3)))?;
        area.draw(&Polygon::new(
            star(x + 26, y - 13, 7.0),
            RGBColor(0x11, 0x11, 0x11).filled(),
        ))?;
        area.draw(&t("crown jewel", x + 40, y, 14.0))?;
        y += 36;
        area.draw(&Rectangle::new(
            [(x + 4, y - 9), (x + 22, y + 9)],
            RGBColor(0xE0, 0xE0, 0xE0).filled(),
        ))?;
        area.draw(&Rectangle::new(
            [(x + 4, y - 9), (x + 22, y + 9)],
            RGBColor(0x88, 0x88, 0x88).stroke_width(1),
        ))?;
        area.draw(&t("group (not counted)", x + 40, y, 14.0))?;
        y += 30;
        area.draw(&PathElement::new(
            vec![(x, y), (x + 26, y)],
            RGBColor(0x50, 0x60, 0x70).mix(0.6).stroke_width(1),
        ))?;
        area.draw(&t("relation", x + 40, y, 14.0))?;
        y += 30;
        let note: &[&str] = if self.layout.aggregated {
            &[
                "Rows: segments; columns:",
                "asset kinds. A bubble's",
                "area ∝ its assets (the",
                "number under it); colour:",
                "mean over its assets.",
            ]
        } else {
            &["One circle per asset;", "boxes are segments."]
        };
        for line in note {
            area.draw(&Text::new(
                line.to_string(),
                (x, y),
                font_at(13.0, HPos::Left, VPos::Center).color(&MUTED),
            ))?;
            y += 18;
        }
        Ok(())
    }
}

impl Draw for EstateMap<'_> {
    fn name(&self) -> &'static str {
        "estate_map"
    }
    fn title(&self) -> String {
        "Estate map: how often each asset was compromised".into()
    }
    fn size(&self) -> (u32, u32) {
        (PANEL_W, 76 + self.panel_h * self.panels.len().max(1) as u32)
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let s = &self.data.summary;
        let sub = format!(
            "{}: {} assets in the blast radius{}, {} trials per control set",
            label(&s.scenario, 40),
            s.assets,
            if self.layout.aggregated {
                " (aggregated by segment and kind)"
            } else {
                ""
            },
            s.trials
        );
        let area = titled(root, &self.title(), &sub)?;
        let (w, _) = area.dim_in_pixel();
        let (maps, legend) = area.split_horizontally(w as i32 - LEGEND_W);
        let rows = maps.split_evenly((self.panels.len().max(1), 1));
        for ((row, &set), rates) in rows.iter().zip(&self.panels).zip(&self.rates) {
            self.panel(row, set, rates)?;
        }
        self.legend(&legend.margin(40, 0, 0, 0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::estate::{AssetView, RelationView};
    use crate::model::RelationKind;

    fn asset(id: &str, kind: AssetKind, segment: &str) -> AssetView {
        AssetView {
            id: id.into(),
            name: id.into(),
            kind,
            pillar: kind.pillar(),
            segment: segment.into(),
            crown_jewel: false,
            value: 1.0,
            tier: 2,
        }
    }

    #[test]
    fn colour_scale_runs_from_pale_to_dark() {
        assert_eq!(rate_color(0.0), RGBColor(0xFF, 0xFF, 0xCC));
        assert_eq!(rate_color(1.0), RGBColor(0x80, 0x00, 0x26));
        assert_eq!(rate_color(f64::NAN), rate_color(0.0));
    }

    #[test]
    fn large_estates_are_aggregated_by_segment_and_kind() {
        let mut assets = vec![asset("internet", AssetKind::Segment, "internet")];
        assets.push(asset("lan", AssetKind::Segment, "lan"));
        for i in 0..1000 {
            assets.push(asset(&format!("ws{i}"), AssetKind::Workstation, "lan"));
            assets.push(asset(&format!("u{i}"), AssetKind::User, "internet"));
        }
        let relations = (0..1000)
            .map(|i| RelationView {
                from: format!("u{i}"),
                to: format!("ws{i}"),
                kind: RelationKind::AdminTo,
            })
            .collect();
        let view = EstateView {
            name: "big".into(),
            assets,
            relations,
        };
        let index = asset_index(&view);
        let l = MapLayout::new(&view, &index, 1300.0);
        assert!(l.aggregated);
        assert_eq!(l.nodes.len(), 2);
        assert_eq!(l.edges, vec![(0, 1, 1000)]);
        let rates = [("ws1".to_string(), 1.0), ("ws2".to_string(), 1.0)]
            .into_iter()
            .collect();
        let r = l.node_rates(&index, &rates);
        assert_eq!(r, vec![0.0, 0.002]);
    }
}
