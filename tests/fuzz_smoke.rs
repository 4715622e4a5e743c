//! The fuzz targets' entry points on stable Rust: every fixture of the suite, truncated at many
//! points and with random byte flips, through every entry. None may panic.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use crate::common::fixtures;

fn fixture_files() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut stack = vec![fixtures()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(b) = std::fs::read(&p) {
                out.push(b);
            }
        }
    }
    out
}

#[test]
fn entries_survive_truncated_fixtures() {
    use rayon::prelude::*;
    // 24 cuts per file and target keeps this under a minute in debug builds with hundreds of
    // fixtures; the random-mutation test and cargo-fuzz cover the rest.
    fixture_files().par_iter().for_each(|data| {
        for (_, entry) in pipeguard_engine::fuzz::TARGETS {
            let step = (data.len() / 24).max(1);
            for cut in (0..data.len()).step_by(step) {
                entry(&data[..cut]);
            }
        }
    });
}

#[test]
fn entries_survive_random_mutations() {
    let files = fixture_files();
    let mut runner = TestRunner::new(Config {
        cases: 256,
        ..Config::default()
    });
    runner
        .run(
            &(
                0..files.len(),
                proptest::collection::vec((any::<usize>(), any::<u8>()), 0..16),
            ),
            |(i, flips)| {
                let mut data = files[i].clone();
                if !data.is_empty() {
                    for (pos, byte) in flips {
                        let n = data.len();
                        data[pos % n] = byte;
                    }
                }
                for (_, entry) in pipeguard_engine::fuzz::TARGETS {
                    entry(&data);
                }
                Ok(())
            },
        )
        .unwrap();
}
