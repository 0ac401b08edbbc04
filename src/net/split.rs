//! Owned read and write halves of a stream socket (tokio's `into_split`), written once
//! for both stream types by [`owned_halves!`].
//!
//! ## The protocol
//! `into_split` moves the stream into an `Arc` that both halves hold. The halves wait in
//! different directions of the same readiness record (reader and writer waiter slots),
//! so one task can read while another writes, on two workers at once, with no lock
//! between them: the kernel socket is safe to use from two threads. The write half
//! shuts the write side down when dropped (the peer reads EOF), unless it was given back
//! through `reunite` (or `forget`). `reunite` checks that both halves hold the same
//! `Arc`; halves of two different streams come back in a `ReuniteError`.

/// Defines `OwnedReadHalf`, `OwnedWriteHalf`, `ReuniteError` and `split` in the invoking
/// module for the stream type `$stream` (whose mio source is `$mio` and address type
/// `$addr`). `$setup` is the example set-up binding `a` (a value of the documented
/// half) and `b` (the peer stream); `$pair` binds `stream` and `b`, a connected pair.
macro_rules! owned_halves {
    // What both halves have: the stream's addresses, `AsRef`, `Debug`, the source.
    (@common $half:ident, $stream:ident, $mio:ty, $addr:ty, $setup:expr) => {
        impl $half {
            /// The local address of the stream.
            #[doc = ops::doc_example!($setup, r#"
    let _ = a.local_addr()?;
"#)]
            pub fn local_addr(&self) -> io::Result<$addr> {
                self.inner.local_addr()
            }

            /// The peer's address.
            #[doc = ops::doc_example!($setup, r#"
    let _ = a.peer_addr()?;
"#)]
            pub fn peer_addr(&self) -> io::Result<$addr> {
                self.inner.peer_addr()
            }

            fn source(&self) -> &IoSource<$mio> {
                self.inner.source()
            }
        }

        impl AsRef<$stream> for $half {
            fn as_ref(&self) -> &$stream {
                &self.inner
            }
        }

        impl std::fmt::Debug for $half {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_tuple(stringify!($half)).field(&self.inner).finish()
            }
        }
    };
    ($stream:ident, $mio:ty, $addr:ty, read_setup: $rsetup:expr, write_setup: $wsetup:expr, pair: $pair:expr) => {
        use std::io;
        use std::sync::Arc;

        use $crate::io::registration::IoSource;
        use $crate::net::ops;

        /// The read half of a stream, from `into_split`: reads (and the futures-io /
        /// tokio `AsyncRead`) in one task while the write half writes in another.
        #[doc = ops::doc_example!($rsetup, r#"
    b.write_all(b"hi").await?;
    let mut buf = [0u8; 2];
    a.read_exact(&mut buf).await?;
    assert_eq!(&buf, b"hi");
"#)]
        pub struct OwnedReadHalf {
            inner: Arc<$stream>,
        }

        /// The write half of a stream, from `into_split`. Dropping it shuts the write
        /// side down (the peer reads EOF), as tokio's does; [`forget`](Self::forget)
        /// drops it without.
        #[doc = ops::doc_example!($wsetup, r#"
    a.write_all(b"hi").await?;
    drop(a); // shuts the write side down
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8];
    loop {
        match b.read(&mut chunk).await? {
            0 => break,
            n => buf.extend_from_slice(&chunk[..n]),
        }
    }
    assert_eq!(buf, b"hi");
"#)]
        pub struct OwnedWriteHalf {
            inner: Arc<$stream>,
            shutdown_on_drop: bool,
        }

        /// Two halves of different streams given to `reunite`: both are handed back.
        #[doc = ops::doc_example!(
            concat!($pair, "    let (other, _b2) = {\n", $pair, "    (stream, b)\n    };\n"),
            r#"
    let (r1, _w1) = stream.into_split();
    let (_r2, w2) = other.into_split();
    let err = r1.reunite(w2).unwrap_err();
    let (_r1, _w2) = (err.0, err.1);
"#)]
        pub struct ReuniteError(pub OwnedReadHalf, pub OwnedWriteHalf);

        impl $stream {
            /// Splits the stream into a read half and a write half that two tasks can
            /// own (tokio's `into_split`). Dropping the write half shuts the write side
            /// down; the halves `reunite` into the stream.
            #[doc = ops::doc_example!($pair, r#"
    let (rd, wr) = stream.into_split();
    let reader = asyncio::create_task(async move {
        let mut buf = [0u8; 4];
        rd.read_exact(&mut buf).await.map(|()| buf)
    });
    wr.write_all(b"ping").await?;
    let mut echo = [0u8; 4];
    b.read_exact(&mut echo).await?;
    b.write_all(&echo).await?;
    assert_eq!(&reader.await?, b"ping");
"#)]
            pub fn into_split(self) -> (OwnedReadHalf, OwnedWriteHalf) {
                let inner = Arc::new(self);
                (
                    OwnedReadHalf {
                        inner: inner.clone(),
                    },
                    OwnedWriteHalf {
                        inner,
                        shutdown_on_drop: true,
                    },
                )
            }
        }

        fn reunite(
            read: OwnedReadHalf,
            mut write: OwnedWriteHalf,
        ) -> Result<$stream, ReuniteError> {
            if !Arc::ptr_eq(&read.inner, &write.inner) {
                return Err(ReuniteError(read, write));
            }
            write.shutdown_on_drop = false;
            drop(write);
            // The two halves held the only references and the write half is gone.
            Ok(Arc::try_unwrap(read.inner)
                .unwrap_or_else(|_| unreachable!("both halves were given back")))
        }

        impl OwnedReadHalf {
            /// Puts the stream back together; `ReuniteError` (with both halves) if
            /// `write` comes from another stream.
            #[doc = ops::doc_example!($pair, r#"
    let (rd, wr) = stream.into_split();
    let stream = rd.reunite(wr).unwrap();
    b.write_all(b"x").await?;
    assert_eq!(stream.read(&mut [0u8; 1]).await?, 1);
"#)]
            pub fn reunite(self, write: OwnedWriteHalf) -> Result<$stream, ReuniteError> {
                reunite(self, write)
            }

            ops::stream_read_methods!($rsetup);

        }

        impl OwnedWriteHalf {
            /// Puts the stream back together; `ReuniteError` (with both halves) if
            /// `read` comes from another stream.
            #[doc = ops::doc_example!($pair, r#"
    let (rd, wr) = stream.into_split();
    let stream = wr.reunite(rd).unwrap();
    stream.write_all(b"x").await?;
    assert_eq!(b.read(&mut [0u8; 1]).await?, 1);
"#)]
            pub fn reunite(self, read: OwnedReadHalf) -> Result<$stream, ReuniteError> {
                reunite(read, self)
            }

            /// Drops the write half without shutting the write side down: the stream
            /// closes when the read half is dropped.
            #[doc = ops::doc_example!($wsetup, r#"
    a.forget();
"#)]
            pub fn forget(mut self) {
                self.shutdown_on_drop = false;
            }

            ops::stream_write_methods!($wsetup);

        }

        impl Drop for OwnedWriteHalf {
            fn drop(&mut self) {
                if self.shutdown_on_drop {
                    // Fails only if the socket is no longer connected: nothing to shut.
                    let _ = self.inner.shutdown(std::net::Shutdown::Write);
                }
            }
        }

        impl $crate::net::traits::ShutdownWrite for OwnedWriteHalf {
            fn shutdown_write(&self) -> io::Result<()> {
                self.inner.shutdown(std::net::Shutdown::Write)
            }
        }

        $crate::net::split::owned_halves!(@common OwnedReadHalf, $stream, $mio, $addr, $rsetup);
        $crate::net::split::owned_halves!(@common OwnedWriteHalf, $stream, $mio, $addr, $wsetup);

        impl std::fmt::Debug for ReuniteError {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_tuple("ReuniteError").finish_non_exhaustive()
            }
        }

        impl std::fmt::Display for ReuniteError {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("tried to reunite halves that are not from the same socket")
            }
        }

        impl std::error::Error for ReuniteError {}

        $crate::net::traits::impl_async_io!(read OwnedReadHalf);
        $crate::net::traits::impl_async_io!(write OwnedWriteHalf);
    };
}

pub(crate) use owned_halves;
