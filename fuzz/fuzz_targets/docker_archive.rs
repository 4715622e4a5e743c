#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    pipeguard_engine::fuzz::docker_archive(data);
});
