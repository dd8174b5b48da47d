//! What identifies a zone set: a SHA-256 of every zone's id and coordinates.

use std::fmt;
use std::sync::OnceLock;

use rayon::prelude::*;
use sha2::{Digest, Sha256};

use super::{Zone, ZoneId};

/// The fingerprint of a [`ZoneSet`](super::ZoneSet): a SHA-256 over every
/// zone's id and the exact bits of its coordinates, in zone order (not its
/// attributes, CRS label or source name, which coverage does not depend
/// on). Two zone sets with the same fingerprint have the same coverage on
/// any grid; the same zones read on another machine or by another build
/// give the same fingerprint.
///
/// ```
/// use geo_types::{polygon, MultiPolygon};
/// use terralux::zones::{Attributes, Zone, ZoneId, ZoneSet};
/// let zone = |id, x: f64| Zone {
///     id: ZoneId::Int(id),
///     attributes: Attributes::default(),
///     geometry: MultiPolygon(vec![polygon![(x: x, y: 0.0), (x: x + 1.0, y: 0.0), (x: x, y: 1.0)]]),
/// };
/// let a = ZoneSet::new(vec![zone(1, 0.0), zone(2, 5.0)], None);
/// let moved = ZoneSet::new(vec![zone(1, 0.0), zone(2, 5.000001)], None);
/// let renamed = ZoneSet::new(vec![zone(1, 0.0), zone(3, 5.0)], None);
/// assert_eq!(a.fingerprint(), ZoneSet::new(vec![zone(1, 0.0), zone(2, 5.0)], None).fingerprint());
/// assert_ne!(a.fingerprint(), moved.fingerprint());
/// assert_ne!(a.fingerprint(), renamed.fingerprint());
/// assert_eq!(a.fingerprint().to_string().len(), 16); // shown as 16 hex digits
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint([u8; 32]);

impl Fingerprint {
    /// The fingerprint of `zones`, in order (hashed in parallel, one digest
    /// per zone, then the digests in zone order: the same for any thread count).
    pub(crate) fn of(zones: &[Zone]) -> Self {
        let digests: Vec<[u8; 32]> = zones.par_iter().map(zone_digest).collect();
        let mut all = Sha256::new();
        all.update((zones.len() as u64).to_le_bytes());
        for digest in &digests {
            all.update(digest);
        }
        Fingerprint(all.finalize().into())
    }

    /// The fingerprint whose digest is `bytes`.
    pub(crate) fn from_bytes(bytes: [u8; 32]) -> Self {
        Fingerprint(bytes)
    }

    /// The 32 bytes of the digest.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

/// The first 8 bytes in hex: enough to tell zone sets apart in a message.
impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0[..8].iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}

/// One zone's id and coordinates, with lengths before every list so that
/// no two different zones hash the same bytes.
fn zone_digest(zone: &Zone) -> [u8; 32] {
    let mut h = Sha256::new();
    match &zone.id {
        ZoneId::Int(v) => {
            h.update([0]);
            h.update(v.to_le_bytes());
        }
        ZoneId::Text(s) => {
            h.update([1]);
            h.update((s.len() as u64).to_le_bytes());
            h.update(s.as_bytes());
        }
    }
    h.update((zone.geometry.0.len() as u64).to_le_bytes());
    for polygon in &zone.geometry.0 {
        h.update((polygon.interiors().len() as u64 + 1).to_le_bytes());
        for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
            h.update((ring.0.len() as u64).to_le_bytes());
            for c in &ring.0 {
                h.update(c.x.to_bits().to_le_bytes());
                h.update(c.y.to_bits().to_le_bytes());
            }
        }
    }
    h.finalize().into()
}

/// A zone set's fingerprint, computed on first use and kept. Cloned with
/// the zone set; never part of its equality (the zones are).
#[derive(Debug, Clone, Default)]
pub(crate) struct FingerprintCache(OnceLock<Fingerprint>);

impl FingerprintCache {
    pub(crate) fn get(&self, zones: &[Zone]) -> Fingerprint {
        *self.0.get_or_init(|| Fingerprint::of(zones))
    }
}

impl PartialEq for FingerprintCache {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
