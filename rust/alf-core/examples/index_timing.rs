//! Times the phases of an index run:
//! `cargo run --release -p alf-core --example index_timing -- ROOT [THREADS]`.
#![allow(clippy::print_stdout)]

use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let root = args.next().expect("usage: index_timing ROOT [THREADS]");
    let threads: usize = args.next().map_or(0, |t| t.parse().expect("threads"));
    let progress = alf_core::Progress::default();
    for _ in 0..3 {
        let t = Instant::now();
        let walk = alf_core::walk::walk(
            root.as_ref(),
            threads,
            alf_core::IdScheme::Stable,
            &progress,
        )
        .expect("walk");
        let t_walk = t.elapsed();
        let t = Instant::now();
        let tables =
            alf_core::table::build(walk, alf_core::IdScheme::Stable, None).expect("tables");
        let t_build = t.elapsed();
        let t = Instant::now();
        let sessions = tables.sessions.num_rows();
        let rows: usize = tables.datasets.map(|b| b.expect("batch").num_rows()).sum();
        println!(
            "{sessions} sessions, {rows} datasets: walk {t_walk:?}, ids and order {t_build:?}, batches {:?}",
            t.elapsed()
        );
    }
}
