//! History files: any bytes give events plus reported lines, never a panic.
#![no_main]

use daogou_guide::profile::read_history;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (events, issues) = read_history(std::io::Cursor::new(data));
    let lines = data.split(|&b| b == b'\n').count();
    assert!(events.len() + issues.len() <= lines);
});
