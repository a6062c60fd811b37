// {{ header }}
//! Passwords: the spec's length rules, and hashing with argon2id.
//!
//! Hashes are PHC strings (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`) with a random
//! 128-bit salt each. Hashing takes tens of milliseconds of CPU and 19 MiB of memory on
//! purpose, so it runs on a few threads of its own ([`Hashers`]), never on the async workers:
//!
//! - `PASSWORD_HASH_THREADS` hashing threads (default: one per core), each reusing one
//!   19 MiB block of memory for every hash it computes. However many sign-ins arrive at
//!   once, hashing holds at most `threads x 19 MiB`, and the memory stays the same after the
//!   burst instead of growing with it.
//! - a bounded queue in front of them (`PASSWORD_HASH_QUEUE`, default [`QUEUE_PER_THREAD`]
//!   per thread). When it is full the request is answered 503 `unavailable` with
//!   `Retry-After: 1` at once ([`ApiError::Busy`]), instead of waiting behind seconds of
//!   hashing. Sign-in queues the check of a dummy hash for unknown accounts exactly as it
//!   queues a real one, so a full queue answers both alike.

use std::num::NonZeroUsize;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, PoisonError};

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::password_hash::{self, generate_salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use serde_json::Value;
use tokio::sync::oneshot;

use crate::error::ApiError;
use crate::validation::{Problem, check};

/// The fewest characters a new password may have ({{ spec_file }}, `password:`).
pub const MIN_LENGTH: usize = {{ a.password_min }};

/// The most characters a password may have; bounds the work one request can cause.
pub const MAX_LENGTH: usize = {{ a.password_max }};

/// OWASP's argon2id parameters (Password Storage Cheat Sheet): 19 MiB of memory, two passes,
/// one lane.
const MEMORY_KIB: u32 = 19_456;
const PASSES: u32 = 2;
const LANES: u32 = 1;

/// The bytes of a hash's output.
const OUTPUT_LEN: usize = 32;

/// How every current hash starts; others are rehashed at the next sign-in.
const CURRENT_PREFIX: &str = "$argon2id$v=19$m=19456,t=2,p=1$";

/// The hash of a random password nobody knows, with the current parameters. Sign-in checks
/// it when an account does not exist (or has no password yet), so that answer takes as long
/// as a wrong password for a real account and timing reveals nothing.
const DUMMY_HASH: &str = concat!(
    "$argon2id$v=19$m=19456,t=2,p=1$",
    "6F7m9ol84N1FdqnT4//slg$u4dGytKyh+B180FSj5sVF0fEQ2a/A5YOeqZ9ScSQxp0",
);

/// Hashes waiting for a thread, per hashing thread, unless `PASSWORD_HASH_QUEUE` says
/// otherwise. A full queue is well under a second of waiting; past it, clients are told to
/// come back.
pub const QUEUE_PER_THREAD: usize = 16;

/// The outcome of checking a password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    /// The password is right. `rehash`: the stored hash uses older parameters; store a new one.
    Matches { rehash: bool },
    /// Wrong password, unknown account, or an account without a password.
    Fails,
}

/// Checks a new password against the length rules (for [`crate::validation::Fields`]).
pub fn check_new(value: &Value) -> Result<String, Problem> {
    check::text(MIN_LENGTH, MAX_LENGTH)(value)
}

/// Checks a password given to sign in: any non-empty text up to the maximum length, so that
/// passwords set under older rules still work.
pub fn check_given(value: &Value) -> Result<String, Problem> {
    check::text(1, MAX_LENGTH)(value)
}

/// The default number of hashing threads: one per core the process may use.
pub fn default_threads() -> NonZeroUsize {
    std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN)
}

/// The app's hashing threads and the bounded queue in front of them. Clones share them; the
/// threads end when the last clone is dropped.
#[derive(Debug, Clone)]
pub struct Hashers {
    jobs: SyncSender<Job>,
}

/// A piece of hashing work, given the thread's memory.
type Job = Box<dyn FnOnce(&mut Memory) + Send>;

impl Hashers {
    /// Starts `threads` hashing threads behind a queue of at most `queue` waiting hashes.
    pub fn start(threads: NonZeroUsize, queue: NonZeroUsize) -> std::io::Result<Hashers> {
        let (jobs, receiver) = mpsc::sync_channel::<Job>(queue.get());
        let receiver = Arc::new(Mutex::new(receiver));
        for number in 0..threads.get() {
            let receiver = Arc::clone(&receiver);
            std::thread::Builder::new()
                .name(format!("password-hasher-{number}"))
                .spawn(move || work(&receiver))?;
        }
        Ok(Hashers { jobs })
    }

    /// Hashes `password` with a fresh random salt. 503 when the queue is full.
    pub async fn hash(&self, password: String) -> Result<String, ApiError> {
        self.run(move |memory| hash_with(memory, password.as_bytes()))
            .await?
            .map_err(|error| ApiError::internal(format!("cannot hash a password: {error}")))
    }

    /// Checks `password` against `stored`, a PHC string. `None` (no such account, or no
    /// password set) checks against [`DUMMY_HASH`] and fails, taking as long as a real check.
    /// 503 when the queue is full, whether or not the account exists.
    pub async fn verify(
        &self,
        password: String,
        stored: Option<String>,
    ) -> Result<Verification, ApiError> {
        self.run(move |memory| {
            let known = stored.is_some();
            let hash = stored.unwrap_or_else(|| DUMMY_HASH.to_owned());
            let matches = match verify_with(memory, password.as_bytes(), &hash) {
                Ok(matches) => matches,
                Err(error) => {
                    tracing::error!(%error, "a stored password hash cannot be checked");
                    false
                }
            };
            if matches && known {
                Verification::Matches {
                    rehash: !hash.starts_with(CURRENT_PREFIX),
                }
            } else {
                Verification::Fails
            }
        })
        .await
    }

    /// Runs `job` on a hashing thread, or answers 503 at once when the queue is full.
    async fn run<T, F>(&self, job: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Memory) -> T + Send + 'static,
    {
        self.submit(job)?
            .await
            .map_err(|_| ApiError::internal("a password hash panicked"))
    }

    /// Queues `job` now, or refuses it (503) when the queue is full; the receiver gets its
    /// result.
    fn submit<T, F>(&self, job: F) -> Result<oneshot::Receiver<T>, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Memory) -> T + Send + 'static,
    {
        let (done, outcome) = oneshot::channel();
        let job: Job = Box::new(move |memory| {
            // The request went away while the job waited (the client gave up, or the request
            // timed out): nobody needs the answer, so the thread moves on to the next one.
            if done.is_closed() {
                return;
            }
            let _ = done.send(job(memory));
        });
        match self.jobs.try_send(job) {
            Ok(()) => Ok(outcome),
            Err(TrySendError::Full(_)) => Err(ApiError::Busy),
            Err(TrySendError::Disconnected(_)) => {
                Err(ApiError::internal("the password hashing threads are gone"))
            }
        }
    }
}

/// One hashing thread: takes jobs until every [`Hashers`] is dropped.
fn work(receiver: &Mutex<Receiver<Job>>) {
    let mut memory = Memory::default();
    loop {
        // The lock is held only while waiting for a job, never while hashing.
        let job = receiver
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .recv();
        let Ok(job) = job else {
            return;
        };
        // A job that panics drops its sender, so its request fails with 500; the thread and
        // its memory (overwritten by every hash) carry on.
        let _ = catch_unwind(AssertUnwindSafe(|| job(&mut memory)));
    }
}

/// A hashing thread's memory: one block of the current parameters' size, allocated at its
/// first hash and reused by every later one.
#[derive(Default)]
struct Memory {
    blocks: Vec<Block>,
}

impl Memory {
    /// Computes `argon2`'s hash of `password` with `salt` into `output`. A stored hash with
    /// more memory than the current parameters gets a block of its own for the one hash, so
    /// the thread's block never grows past the current size.
    fn hash_into(
        &mut self,
        argon2: &Argon2<'_>,
        password: &[u8],
        salt: &[u8],
        output: &mut [u8],
    ) -> argon2::Result<()> {
        let needed = argon2.params().block_count();
        if needed > params().block_count() {
            return argon2.hash_password_into(password, salt, output);
        }
        if self.blocks.len() < needed {
            self.blocks.resize(needed, Block::default());
        }
        argon2.hash_password_into_with_memory(password, salt, output, &mut self.blocks[..needed])
    }
}

/// The current parameters.
fn params() -> Params {
    Params::new(MEMORY_KIB, PASSES, LANES, Some(OUTPUT_LEN))
        .expect("OWASP's argon2id parameters are within argon2's limits")
}

/// Hashes `password` with the current parameters and a fresh salt, in `memory`.
fn hash_with(memory: &mut Memory, password: &[u8]) -> password_hash::Result<String> {
    let params = params();
    let salt = generate_salt();
    let mut output = [0u8; OUTPUT_LEN];
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    memory.hash_into(&argon2, password, &salt, &mut output)?;
    let hash = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params)?,
        salt: Some(Salt::new(&salt)?),
        hash: Some(Output::new(&output)?),
    };
    Ok(hash.to_string())
}

/// Whether `password` is the one `stored` was made from: the hash recomputed with the
/// algorithm, version, parameters and salt `stored` names, in `memory`, and compared in
/// constant time (as argon2's own `PasswordVerifier` does).
fn verify_with(memory: &mut Memory, password: &[u8], stored: &str) -> password_hash::Result<bool> {
    let parsed = PasswordHash::new(stored)?;
    let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
        return Ok(false);
    };
    let algorithm = Algorithm::try_from(parsed.algorithm.as_str())?;
    let version = match parsed.version {
        Some(version) => Version::try_from(version)?,
        None => Version::default(),
    };
    let argon2 = Argon2::new(algorithm, version, Params::try_from(&parsed)?);
    let mut output = vec![0u8; expected.len()];
    memory.hash_into(&argon2, password, salt.as_ref(), &mut output)?;
    // `Output`'s `==` compares in constant time.
    Ok(Output::new(&output)? == *expected)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use argon2::PasswordVerifier;

    use super::*;

    fn hashers(threads: usize, queue: usize) -> Hashers {
        let count = |n| NonZeroUsize::new(n).unwrap();
        Hashers::start(count(threads), count(queue)).unwrap()
    }

    /// A hash by argon2's own hasher with other parameters than the current ones.
    fn hash_with_params(m_cost: u32, t_cost: u32, password: &[u8]) -> String {
        let params = Params::new(m_cost, t_cost, 1, None).unwrap();
        argon2::PasswordHasher::hash_password(
            &Argon2::new(Algorithm::Argon2id, Version::V0x13, params),
            password,
        )
        .unwrap()
        .to_string()
    }

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let hashers = hashers(1, 4);
        let hash = hashers.hash("correct horse battery".to_owned()).await;
        let hash = hash.unwrap();
        assert!(hash.starts_with(CURRENT_PREFIX), "{hash}");
        let right = hashers
            .verify("correct horse battery".to_owned(), Some(hash.clone()))
            .await;
        assert_eq!(right.unwrap(), Verification::Matches { rehash: false });
        let wrong = hashers
            .verify("correct horse battery!".to_owned(), Some(hash))
            .await;
        assert_eq!(wrong.unwrap(), Verification::Fails);
    }

    #[tokio::test]
    async fn hashes_are_the_ones_argon2_makes_and_checks() {
        let hash = hashers(1, 4).hash("correct horse battery".to_owned()).await;
        let hash = hash.unwrap();
        let parsed = PasswordHash::new(&hash).unwrap();
        let argon2 = Argon2::default();
        assert!(
            argon2
                .verify_password(b"correct horse battery", &parsed)
                .is_ok()
        );
        assert!(argon2.verify_password(b"something else", &parsed).is_err());
    }

    #[tokio::test]
    async fn hashes_with_other_parameters_verify_and_ask_for_a_rehash() {
        let hashers = hashers(1, 4);
        // Less memory than now (fits in the thread's block), then more (a block of its own).
        for m_cost in [4096, 2 * MEMORY_KIB] {
            let old = hash_with_params(m_cost, 1, b"correct horse battery");
            let right = hashers
                .verify("correct horse battery".to_owned(), Some(old.clone()))
                .await;
            assert_eq!(right.unwrap(), Verification::Matches { rehash: true });
            let wrong = hashers.verify("something else".to_owned(), Some(old)).await;
            assert_eq!(wrong.unwrap(), Verification::Fails);
        }
    }

    #[tokio::test]
    async fn unknown_accounts_never_match() {
        let outcome = hashers(1, 4)
            .verify("anything at all".to_owned(), None)
            .await;
        assert_eq!(outcome.unwrap(), Verification::Fails);
    }

    #[tokio::test]
    async fn a_full_queue_is_answered_busy_at_once_for_known_and_unknown_accounts() {
        let hashers = hashers(1, 1);
        let (release, wait) = mpsc::channel::<()>();
        let (started, running) = oneshot::channel();
        let busy = hashers
            .submit(move |_| {
                let _ = started.send(());
                wait.recv().ok();
            })
            .unwrap();
        running.await.unwrap();
        // The one thread is busy: one job fits in the queue, the next ones are refused.
        let queued = hashers.submit(|_| 1).unwrap();
        let refused = hashers.submit(|_| 2);
        assert!(matches!(refused, Err(ApiError::Busy)), "{refused:?}");
        let unknown = hashers.verify("a password".to_owned(), None).await;
        assert!(matches!(unknown, Err(ApiError::Busy)), "{unknown:?}");
        let known = hashers
            .verify("a password".to_owned(), Some(DUMMY_HASH.to_owned()))
            .await;
        assert!(matches!(known, Err(ApiError::Busy)), "{known:?}");
        let new = hashers.hash("a password".to_owned()).await;
        assert!(matches!(new, Err(ApiError::Busy)), "{new:?}");
        release.send(()).unwrap();
        busy.await.unwrap();
        assert_eq!(queued.await.unwrap(), 1);
        // Once the queue has room again, hashing works.
        let after = hashers.verify("a password".to_owned(), None).await;
        assert_eq!(after.unwrap(), Verification::Fails);
    }

    #[tokio::test]
    async fn no_more_hashes_run_at_once_than_there_are_threads() {
        let hashers = hashers(2, 64);
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let jobs: Vec<_> = (0..32)
            .map(|_| {
                let running = Arc::clone(&running);
                let most = Arc::clone(&most);
                hashers
                    .submit(move |_| {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(2));
                        running.fetch_sub(1, Ordering::SeqCst);
                    })
                    .unwrap()
            })
            .collect();
        for job in jobs {
            job.await.unwrap();
        }
        let most = most.load(Ordering::SeqCst);
        assert!((1..=2).contains(&most), "{most} jobs ran at once");
    }

    #[tokio::test]
    async fn a_panicking_job_fails_alone_and_the_thread_carries_on() {
        let hashers = hashers(1, 4);
        let panicked = hashers.run(|_| -> u32 { panic!("a test panic") }).await;
        assert!(
            matches!(panicked, Err(ApiError::Internal(_))),
            "{panicked:?}"
        );
        let after = hashers.verify("a password".to_owned(), None).await;
        assert_eq!(after.unwrap(), Verification::Fails);
    }

    #[test]
    fn the_dummy_hash_uses_the_current_parameters() {
        assert!(DUMMY_HASH.starts_with(CURRENT_PREFIX));
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
    }
}
