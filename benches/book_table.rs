//! The book's two cases: 4 KB and 4 MB blocks, 1000 GetMem/FreeMem pairs,
//! every manager, with and without touching the pages; median of 5 runs.
//! Run: `cargo bench --bench book_table`.

use memlab::core::alloc::bench::{BenchResult, BenchSpec, run};
use memlab::core::alloc::sysinfo::SystemInfo;
use memlab::core::alloc::{GlobalDispatcher, ManagerKind};

#[global_allocator]
static GLOBAL: GlobalDispatcher = GlobalDispatcher;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let info = SystemInfo::collect();
    println!("cpu: {} ({} CPUs); os: {}", info.cpu, info.cpus, info.os);
    println!(
        "{}; mimalloc {} (C {}); talc {}",
        info.libc.as_deref().unwrap_or("libc ?"),
        info.mimalloc_crate,
        info.mimalloc_c,
        info.talc
    );
    println!("1000 pairs per run, median of 5 runs (by ms)\n");
    println!(
        "| size | manager | touch | ms / 1000 pairs | ns / pair | minor faults | major faults |"
    );
    println!("|---|---|---|---:|---:|---:|---:|");
    for size_kb in [4, 4096] {
        for touch in [false, true] {
            for manager in ManagerKind::ALL {
                let spec = BenchSpec {
                    touch,
                    ..BenchSpec::new(manager, size_kb)
                };
                let _warm = run(&spec, &|_, _| true)?;
                let mut runs: Vec<BenchResult> = (0..5)
                    .map(|_| run(&spec, &|_, _| true))
                    .collect::<Result<_, _>>()?;
                runs.sort_by(|a, b| a.ms.total_cmp(&b.ms));
                let r = runs[2];
                println!(
                    "| {} | {} | {} | {:.3} | {:.0} | {} | {} |",
                    if size_kb == 4 { "4 KB" } else { "4 MB" },
                    manager,
                    if touch { "yes" } else { "no" },
                    r.ms,
                    r.ns_per_pair,
                    r.minor_faults.map_or("-".into(), |n| n.to_string()),
                    r.major_faults.map_or("-".into(), |n| n.to_string()),
                );
            }
        }
    }
    Ok(())
}
