//! What appeared, vanished or changed between two snapshots of the map.

use serde::Serialize;

use super::{Region, RegionType, Snapshot};

/// What differs in a region that kept its start address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Size,
    Type,
    Protection,
    Path,
    Owner,
    Resident,
    Private,
    Locked,
    Charged,
}

/// A region present in both snapshots, with what changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub before: Region,
    pub after: Region,
    pub fields: Vec<Field>,
}

/// What appeared, vanished or changed between two snapshots (free gaps
/// left out: they follow from the rest). Regions are matched by start.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MapDiff {
    pub appeared: Vec<Region>,
    pub vanished: Vec<Region>,
    pub changed: Vec<Change>,
}

impl MapDiff {
    pub fn is_empty(&self) -> bool {
        self.appeared.is_empty() && self.vanished.is_empty() && self.changed.is_empty()
    }
}

/// The diff from `before` to `after`.
pub fn diff(before: &Snapshot, after: &Snapshot) -> MapDiff {
    let used = |s: &Snapshot| -> Vec<Region> {
        s.regions
            .iter()
            .filter(|r| r.kind != RegionType::Free)
            .cloned()
            .collect()
    };
    let (old, new) = (used(before), used(after));
    let mut out = MapDiff::default();
    let find = |list: &[Region], start: u64| {
        list.binary_search_by_key(&start, |r| r.start)
            .ok()
            .map(|i| list[i].clone())
    };
    for b in &old {
        match find(&new, b.start) {
            None => out.vanished.push(b.clone()),
            Some(a) => {
                let fields = changed_fields(b, &a);
                if !fields.is_empty() {
                    out.changed.push(Change {
                        before: b.clone(),
                        after: a,
                        fields,
                    });
                }
            }
        }
    }
    out.appeared = new
        .into_iter()
        .filter(|a| find(&old, a.start).is_none())
        .collect();
    out
}

fn changed_fields(b: &Region, a: &Region) -> Vec<Field> {
    [
        (b.size != a.size, Field::Size),
        (b.kind != a.kind, Field::Type),
        (b.protection != a.protection, Field::Protection),
        (b.path != a.path, Field::Path),
        (b.owner != a.owner, Field::Owner),
        (b.resident != a.resident, Field::Resident),
        (b.private != a.private, Field::Private),
        (b.locked != a.locked, Field::Locked),
        (b.charged != a.charged, Field::Charged),
    ]
    .into_iter()
    .filter_map(|(changed, f)| changed.then_some(f))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::super::tests::region;
    use super::super::totals;
    use super::*;

    #[test]
    fn the_diff_matches_regions_by_start() {
        let snap = |regions: Vec<Region>| Snapshot {
            pid: 1,
            totals: totals(&regions),
            regions,
            largest_free: 0,
            lowest_address: 0,
            highest_address: 0,
            took_us: 0,
        };
        let a = snap(vec![
            region(0x1000, 0x1000, RegionType::Heap),
            region(0x3000, 0x1000, RegionType::PrivateData),
            region(0x5000, 0x1000, RegionType::Reserved),
        ]);
        let mut grown = region(0x3000, 0x2000, RegionType::PrivateData);
        grown.resident = 0;
        let b = snap(vec![
            region(0x1000, 0x1000, RegionType::Heap),
            grown,
            region(0x7000, 0x1000, RegionType::Reserved),
        ]);
        let d = diff(&a, &b);
        assert_eq!(
            d.appeared.iter().map(|r| r.start).collect::<Vec<_>>(),
            [0x7000]
        );
        assert_eq!(
            d.vanished.iter().map(|r| r.start).collect::<Vec<_>>(),
            [0x5000]
        );
        assert_eq!(d.changed.len(), 1);
        assert_eq!(
            d.changed[0].fields,
            vec![Field::Size, Field::Resident, Field::Private]
        );
        assert!(diff(&b, &b).is_empty());
    }
}
