//! The runtime-neutral I/O traits on the stream types: `futures_io::{AsyncRead,
//! AsyncWrite}` always, and tokio's `AsyncRead`/`AsyncWrite` with the `tokio-io`
//! feature, for the type and for a shared reference to it (so one task can hold
//! `&stream` for reading while another writes), and on the owned halves (the read half
//! reads, the write half writes).
//!
//! `poll_flush` does nothing (no user-space buffer); `poll_close` / `poll_shutdown`
//! shut down the write side (the peer reads EOF).

use std::io;

/// Half-closing the write side, for `poll_close` / `poll_shutdown`.
pub(crate) trait ShutdownWrite {
    fn shutdown_write(&self) -> io::Result<()>;
}

/// Implements the traits. `$t` (and `&$t`): both directions, for a type with inherent
/// `poll_read(&self, cx, &mut [u8])` and `poll_write(&self, cx, &[u8])` and
/// [`ShutdownWrite`]; `read $t` / `write $t`: one direction, for the owned halves.
macro_rules! impl_async_io {
    (read $t:ty) => {
        $crate::net::traits::impl_async_io!(@futures_read $t, $t);
        #[cfg(feature = "tokio-io")]
        $crate::net::traits::impl_async_io!(@tokio_read $t, $t);
    };
    (write $t:ty) => {
        $crate::net::traits::impl_async_io!(@futures_write $t, $t);
        #[cfg(feature = "tokio-io")]
        $crate::net::traits::impl_async_io!(@tokio_write $t, $t);
    };
    ($t:ty) => {
        $crate::net::traits::impl_async_io!(read $t);
        $crate::net::traits::impl_async_io!(write $t);
        $crate::net::traits::impl_async_io!(@futures_read &$t, $t);
        $crate::net::traits::impl_async_io!(@futures_write &$t, $t);
        #[cfg(feature = "tokio-io")]
        $crate::net::traits::impl_async_io!(@tokio_read &$t, $t);
        #[cfg(feature = "tokio-io")]
        $crate::net::traits::impl_async_io!(@tokio_write &$t, $t);
    };
    (@futures_read $t:ty, $base:ty) => {
        impl futures_io::AsyncRead for $t {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut [u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                let this: &$base = &self;
                <$base>::poll_read(this, cx, buf)
            }
        }
    };
    (@futures_write $t:ty, $base:ty) => {
        impl futures_io::AsyncWrite for $t {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                let this: &$base = &self;
                <$base>::poll_write(this, cx, buf)
            }

            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                _: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(Ok(()))
            }

            fn poll_close(
                self: std::pin::Pin<&mut Self>,
                _: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                let this: &$base = &self;
                std::task::Poll::Ready($crate::net::traits::ShutdownWrite::shutdown_write(this))
            }
        }
    };
    (@tokio_read $t:ty, $base:ty) => {
        impl tokio::io::AsyncRead for $t {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut tokio::io::ReadBuf<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                let this: &$base = &self;
                let n = std::task::ready!(<$base>::poll_read(this, cx, buf.initialize_unfilled()))?;
                buf.advance(n);
                std::task::Poll::Ready(Ok(()))
            }
        }
    };
    (@tokio_write $t:ty, $base:ty) => {
        impl tokio::io::AsyncWrite for $t {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                let this: &$base = &self;
                <$base>::poll_write(this, cx, buf)
            }

            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                _: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(Ok(()))
            }

            fn poll_shutdown(
                self: std::pin::Pin<&mut Self>,
                _: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                let this: &$base = &self;
                std::task::Poll::Ready($crate::net::traits::ShutdownWrite::shutdown_write(this))
            }
        }
    };
}

pub(crate) use impl_async_io;
