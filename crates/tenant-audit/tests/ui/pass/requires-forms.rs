#![deny(warnings)]

use tenant_audit::requires;

pub mod rbac {
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Scope {
        IncidentsRead,
        IncidentsWrite,
        Admin,
        Tuple(u8),
    }
    pub const BILLING: &str = "billing:write";
}

use rbac::Scope;

/// Closes an incident.
#[requires(Scope::IncidentsWrite)]
pub async fn close_incident(id: u64) -> Result<u64, String> {
    Ok(id)
}

#[requires("billing:write", "billing:read",)]
pub fn update_billing() -> u32 {
    7
}

#[requires(crate::rbac::Scope::Admin, rbac::BILLING, Scope::Tuple, "audit:read")]
pub fn mixed<T: Default>() -> T {
    T::default()
}

pub struct Incidents {
    pub open: u32,
}

impl Incidents {
    pub const ADMIN: Scope = Scope::Admin;

    #[requires(Scope::IncidentsRead)]
    pub fn count(&self) -> u32 {
        self.open
    }

    #[requires(Self::ADMIN)]
    pub async fn purge(&mut self) -> u32 {
        std::mem::take(&mut self.open)
    }

    #[requires("incidents:read")]
    pub fn new() -> Self {
        Incidents { open: 2 }
    }
}

pub trait Api {
    fn stats(&self) -> u32;
    #[requires(Scope::Admin)]
    fn default_stats(&self) -> u32 {
        self.stats() + 1
    }
}

impl Api for Incidents {
    #[requires(Scope::Admin)]
    #[inline]
    fn stats(&self) -> u32 {
        self.open
    }
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    use std::task::{Context, Poll, Waker};
    let mut f = std::pin::pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

fn main() {
    assert_eq!(block_on(close_incident(3)), Ok(3));
    assert_eq!(update_billing(), 7);
    assert_eq!(mixed::<u8>(), 0);
    let mut incidents = Incidents::new();
    assert_eq!(incidents.count(), 2);
    assert_eq!(incidents.stats(), 2);
    assert_eq!(incidents.default_stats(), 3);
    assert_eq!(block_on(incidents.purge()), 2);
    assert_eq!(incidents.count(), 0);
    let _ = Scope::Tuple(1);
}
