//! Wallet vault benchmarks: the unlock-to-sign path a trade pays for, plus sealing and the
//! one-off Argon2id master-key derivation.
//!
//! Run with `cargo bench --bench vault`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use quantbot::wallet::kdf::KdfParams;
use quantbot::wallet::{MasterKey, SecretKeyBytes, WalletAad, open, seal};
use solana_signer::Signer;

fn fixture() -> (MasterKey, SecretKeyBytes, WalletAad) {
    let master = MasterKey::generate();
    let secret = SecretKeyBytes::generate();
    let aad = WalletAad { user_id: 1, wallet_id: 1, pubkey: secret.pubkey(), key_version: 1 };
    (master, secret, aad)
}

fn unlock_and_sign(c: &mut Criterion) {
    let (master, secret, aad) = fixture();
    let sealed = seal(&master, &secret, &aad).unwrap();
    let message = [7u8; 32];

    c.bench_function("vault/open", |b| {
        b.iter(|| open(black_box(&master), black_box(&sealed), black_box(&aad)).unwrap())
    });
    c.bench_function("vault/open+keypair", |b| {
        b.iter(|| {
            let secret = open(black_box(&master), black_box(&sealed), black_box(&aad)).unwrap();
            secret.keypair()
        })
    });
    c.bench_function("vault/open+keypair+sign32", |b| {
        b.iter(|| {
            let secret = open(black_box(&master), black_box(&sealed), black_box(&aad)).unwrap();
            let keypair = secret.keypair();
            keypair.sign_message(black_box(&message))
        })
    });
    c.bench_function("vault/seal", |b| {
        b.iter(|| seal(black_box(&master), black_box(&secret), black_box(&aad)).unwrap())
    });
}

fn argon2id(c: &mut Criterion) {
    let params = KdfParams::recommended();
    let mut group = c.benchmark_group("kdf");
    group.sample_size(10);
    group.bench_function("argon2id_m64MiB_t3_p4", |b| {
        b.iter(|| MasterKey::derive_from_passphrase(black_box(b"correct horse battery staple"), &params).unwrap())
    });
    group.finish();
}

criterion_group!(benches, unlock_and_sign, argon2id);
criterion_main!(benches);
