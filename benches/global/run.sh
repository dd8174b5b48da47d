#!/usr/bin/env bash
# The global-scale check: zonal statistics over a global 15" grid
# (86,401 x 33,601 cells) and 307 zones of every size, one spanning most of
# the globe and six crossing the antimeridian. Reports wall time and peak
# memory of the `zonal` run (it must stay under 512 MiB) and checks every
# zone's count against its exact area in cells.
#
#   benches/global/run.sh            # data in target/global-scale (made once, ~0.4 GB)
#   TERRALUX_GLOBAL_DIR=/data/g benches/global/run.sh
#   THREADS=1 benches/global/run.sh
#   ZONES=jagged LIMIT_MIB=1024 benches/global/run.sh   # stars with very long boundaries
#   STATS=count,outside_frac,median,p90,p99,gini MEMORY_LIMIT_MIB=256 \
#     benches/global/run.sh   # quantiles: values past 256 MiB go to a spill file
#   SAME_AS=earlier.csv benches/global/run.sh   # the result must be byte-identical to it
#
# STATS must keep count and outside_frac (the check reads them).
#
# Not a CI test: it reads 2.9 G cells (about 30 s to a few minutes).
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/setup.sh
target_dir=${CARGO_TARGET_DIR:-target}
data=${TERRALUX_GLOBAL_DIR:-target/global-scale}
threads=${THREADS:-2}
zones=${ZONES:-zones}
limit=${LIMIT_MIB:-512}
stats=${STATS:-count,sum,mean,min,max,stdev,valid_frac,outside_frac}
extra=()
if [[ -n ${MEMORY_LIMIT_MIB:-} ]]; then
    extra+=(--memory-limit "$MEMORY_LIMIT_MIB")
fi
same_as=()
if [[ -n ${SAME_AS:-} ]]; then
    same_as+=(--same-as "$SAME_AS")
fi

cargo build --release --quiet --example make_global --example zonal
if [[ ! -f $data/global.tif || ! -f $data/$zones.gpkg ]]; then
    "$target_dir/release/examples/make_global" "$data"
fi
python3 benches/global/check.py --limit-mib "$limit" "${same_as[@]}" \
    --zones "$data/$zones.gpkg" --result "$data/result.csv" -- \
    "$target_dir/release/examples/zonal" --raster "$data/global.tif" \
    --zones "$data/$zones.gpkg" --id-field id \
    --stats "$stats" "${extra[@]}" \
    --threads "$threads" --quiet --output "$data/result.csv"
