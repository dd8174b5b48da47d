//! The plan's bytes and the frame around a unit's: magic, format version,
//! fingerprints, lengths and checksums (the layout is in the module docs).

use sha2::{Digest, Sha256};

use super::{DateSpec, Derived, PlanSpec, WorkPlan, WorkUnit, hex};
use crate::codec::{Codec, Reader, Writer};
use crate::error::{Error, Result};

/// The format version of plan and unit bytes; bytes of another are refused.
pub(super) const FORMAT_VERSION: u16 = 2;
const PLAN_MAGIC: &[u8; 8] = b"TLXPLAN\0";
const UNIT_MAGIC: &[u8; 8] = b"TLXUNIT\0";
const PLAN_WHAT: &str = "work plan bytes";
pub(super) const UNIT_WHAT: &str = "unit partials bytes";

/// The first 16 bytes of the SHA-256 of `body`.
pub(super) fn fingerprint(body: &[u8]) -> [u8; 16] {
    let digest: [u8; 32] = Sha256::digest(body).into();
    let mut out = [0u8; 16];
    out.copy_from_slice(&digest[..16]);
    out
}

/// The 8-byte checksum of a unit's body.
fn checksum(body: &[u8]) -> [u8; 8] {
    let digest: [u8; 32] = Sha256::digest(body).into();
    let mut out = [0u8; 8];
    out.copy_from_slice(&digest[..8]);
    out
}

/// A plan's bytes (the module docs give the layout) and its fingerprint,
/// the body written once.
pub(super) fn encode(spec: &PlanSpec) -> (Vec<u8>, [u8; 16]) {
    let mut w = Writer::default();
    w.raw(PLAN_MAGIC);
    w.raw(&FORMAT_VERSION.to_le_bytes());
    let print_at = w.bytes.len();
    w.raw(&[0u8; 16]);
    // The body's length, known once it is written in place (one buffer:
    // the body is the bulk of the plan).
    let at = w.bytes.len();
    w.len(0);
    w.put(spec);
    let body = (w.bytes.len() - at - 8) as u64;
    w.bytes[at..at + 8].copy_from_slice(&body.to_le_bytes());
    let print = fingerprint(&w.bytes[at + 8..]);
    w.bytes[print_at..print_at + 16].copy_from_slice(&print);
    (w.bytes, print)
}

impl WorkPlan {
    /// The plan as bytes, to send to workers once (see the module docs
    /// for the layout). Its size is about that of the coverage index
    /// (about 10 bytes a cell a border crosses, 2-4 bytes a run of cells
    /// inside a zone) plus the zones' ids and attributes.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.as_bytes().to_vec()
    }

    /// The plan's bytes ([`WorkPlan::to_bytes`]) without a copy: a plan
    /// made by [`WorkPlan::new`] wrote them once already (its fingerprint
    /// is theirs) and keeps them; a plan read by [`WorkPlan::from_bytes`]
    /// writes them again when first asked.
    pub fn as_bytes(&self) -> &[u8] {
        self.encoded.get_or_init(|| encode(&self.spec).0)
    }

    /// The plan `bytes` hold ([`WorkPlan::to_bytes`]); an error for bytes
    /// of another format version, and for truncated or corrupt ones.
    pub fn from_bytes(bytes: &[u8]) -> Result<WorkPlan> {
        let mut r = Reader::new(bytes, PLAN_WHAT);
        header(&mut r, PLAN_MAGIC, "a terralux work plan")?;
        let mut fingerprint = [0u8; 16];
        fingerprint.copy_from_slice(r.raw(16)?);
        let n = r.len()?;
        let body = r.raw(n)?;
        r.finish()?;
        if self::fingerprint(body) != fingerprint {
            return Err(r.error("corrupt: the body does not match the plan's fingerprint"));
        }
        let mut r = Reader::new(body, PLAN_WHAT);
        let spec: PlanSpec = r.get()?;
        r.finish()?;
        Ok(WorkPlan {
            derived: Derived::of(&spec),
            spec,
            fingerprint,
            encoded: std::sync::OnceLock::new(),
        })
    }
}

/// Check the magic bytes and the format version.
fn header(r: &mut Reader<'_>, magic: &[u8; 8], what: &str) -> Result<()> {
    if r.raw(8).ok() != Some(&magic[..]) {
        return Err(r.error(format!("not {what} (no magic bytes)")));
    }
    let version = u16::from_le_bytes([r.u8()?, r.u8()?]);
    if version != FORMAT_VERSION {
        return Err(r.error(format!(
            "format version {version}; this terralux reads version {FORMAT_VERSION}"
        )));
    }
    Ok(())
}

/// A unit's bytes: the frame around `body`.
pub(super) fn unit_bytes(plan: &[u8; 16], unit: &WorkUnit, body: &[u8]) -> Vec<u8> {
    let mut w = Writer::default();
    w.raw(UNIT_MAGIC);
    w.raw(&FORMAT_VERSION.to_le_bytes());
    w.raw(plan);
    w.put(&unit.date);
    w.put(&unit.chunks.start);
    w.put(&unit.chunks.end);
    w.len(body.len());
    w.raw(&checksum(body));
    w.raw(body);
    w.bytes
}

/// The unit and the body of a unit's bytes, checked against `plan`.
pub(super) fn unit_body<'b>(plan: &WorkPlan, bytes: &'b [u8]) -> Result<(WorkUnit, &'b [u8])> {
    let mut r = Reader::new(bytes, UNIT_WHAT);
    header(&mut r, UNIT_MAGIC, "terralux unit partials")?;
    let of_plan = r.raw(16)?;
    if of_plan != plan.fingerprint {
        return Err(r.error(format!(
            "these partials are of another work plan (fingerprint {}, this plan's {})",
            hex(of_plan),
            plan.fingerprint()
        )));
    }
    let date = r.get()?;
    let (start, end) = (r.get()?, r.get()?);
    let unit = WorkUnit {
        date,
        chunks: start..end,
    };
    plan.check_unit(&unit)
        .map_err(|e| r.error(format!("corrupt: {e}")))?;
    let n = r.len()?;
    let sum = r.raw(8)?;
    let body = r.raw(n)?;
    r.finish()?;
    if checksum(body) != sum {
        return Err(r.error("corrupt: the body does not match its checksum"));
    }
    Ok((unit, body))
}

impl WorkPlan {
    /// One fingerprint per date (32 hex digits each): a hash of what that
    /// date's table depends on in the plan (zones, coverage, statistics,
    /// options, chunk budget, and the date's rasters by name, bands and
    /// block shape), and not of the other dates. A date of two plans with
    /// the same fingerprint gives the same table when its rasters hold the
    /// same cells: what [`DatePartitions`](crate::write::partitions::DatePartitions)
    /// keys a partition with, so that a rerun over more dates skips the
    /// ones done.
    pub fn date_fingerprints(&self) -> Vec<String> {
        let mut w = Writer::default();
        encode_common(&self.spec, &mut w);
        let common = fingerprint(&w.bytes);
        let named = |&(raster, band): &(usize, usize)| (self.spec.rasters[raster].clone(), band);
        self.spec
            .dates
            .iter()
            .map(|date| {
                let mut w = Writer::default();
                w.raw(&common);
                w.put(&date.layers.iter().map(named).collect::<Vec<_>>());
                w.put(&date.weights.as_ref().map(named));
                w.put(&date.block);
                hex(&fingerprint(&w.bytes))
            })
            .collect()
    }
}

/// Everything of a plan's body but its rasters and dates.
fn encode_common(spec: &PlanSpec, w: &mut Writer) {
    w.put(&spec.zones);
    w.put(&spec.zones_source);
    w.put(&spec.zones_layer);
    w.put(&spec.id_field);
    w.put(&spec.zone_areas);
    w.put(&spec.index);
    w.put(&spec.stats);
    w.put(&spec.weighting);
    w.f64(spec.min_coverage_frac);
    w.put(&spec.default_value);
    w.put(&spec.default_weight);
    w.put(&spec.mode_ties);
    w.put(&spec.chunk_cells);
}

impl Codec for PlanSpec {
    fn encode(&self, w: &mut Writer) {
        encode_common(self, w);
        w.put(&self.rasters);
        w.put(&self.dates);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        let spec = PlanSpec {
            zones: r.get()?,
            zones_source: r.get()?,
            zones_layer: r.get()?,
            id_field: r.get()?,
            zone_areas: r.get()?,
            index: r.get()?,
            stats: r.get()?,
            weighting: r.get()?,
            min_coverage_frac: r.f64()?,
            default_value: r.get()?,
            default_weight: r.get()?,
            mode_ties: r.get()?,
            chunk_cells: r.get()?,
            rasters: r.get()?,
            dates: r.get()?,
        };
        let zones = spec.zones.0.len();
        let rasters = spec.rasters.len();
        let consistent = spec.index.len() == zones
            && spec.zone_areas.len() == zones
            && !spec.stats.is_empty()
            && spec.chunk_cells > 0
            && spec.dates.iter().all(|d| {
                !d.layers.is_empty() && d.layers.iter().chain(&d.weights).all(|&(i, _)| i < rasters)
            });
        if !consistent {
            return Err(r.error("corrupt: an inconsistent plan"));
        }
        Ok(spec)
    }
}

impl Codec for DateSpec {
    fn encode(&self, w: &mut Writer) {
        w.put(&self.layers);
        w.put(&self.weights);
        w.put(&self.block);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        Ok(DateSpec {
            layers: r.get()?,
            weights: r.get()?,
            block: r.get()?,
        })
    }
}

/// An error about a unit's partials.
pub(super) fn unit_error(reason: String) -> Error {
    Error::Mismatch {
        context: UNIT_WHAT.into(),
        reason,
    }
}
