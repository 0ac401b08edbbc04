//! The runtime-neutral I/O traits on the stream types: `futures_io::{AsyncRead,
//! AsyncWrite}` always, and tokio's `AsyncRead`/`AsyncWrite` with the `tokio-io`
//! feature, for the type and for a shared reference to it (so one task can hold
//! `&stream` for reading while another writes).
//!
//! `poll_flush` does nothing (no user-space buffer); `poll_close` / `poll_shutdown`
//! shut down the write side (the peer reads EOF).

/// Implements the traits for `$t`, which has inherent `poll_read(&self, cx, &mut [u8])`,
/// `poll_write(&self, cx, &[u8])` and `shutdown(&self, Shutdown)`.
macro_rules! impl_async_io {
    ($t:ty) => {
        $crate::net::traits::impl_async_io!(@futures $t, $t);
        $crate::net::traits::impl_async_io!(@futures &$t, $t);
        #[cfg(feature = "tokio-io")]
        $crate::net::traits::impl_async_io!(@tokio $t, $t);
        #[cfg(feature = "tokio-io")]
        $crate::net::traits::impl_async_io!(@tokio &$t, $t);
    };
    (@futures $t:ty, $base:ty) => {
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
                std::task::Poll::Ready(this.shutdown(std::net::Shutdown::Write))
            }
        }
    };
    (@tokio $t:ty, $base:ty) => {
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
                std::task::Poll::Ready(this.shutdown(std::net::Shutdown::Write))
            }
        }
    };
}

pub(crate) use impl_async_io;
