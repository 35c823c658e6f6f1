//! Turns cursor-paged APIs into a [`Stream`] of items.
//!
//! The first page is fetched lazily (when the stream is first polled), the stream ends after
//! the first error, and a page that says "more" but carries no cursor ends the stream with
//! [`PageError::MissingCursor`] instead of looping forever.
//!
//! ```
//! use futures::TryStreamExt;
//! use sync_core::paging::{paginate, Page, PageError};
//!
//! # async fn demo() -> Result<(), PageError> {
//! let items: Vec<u32> = paginate(None::<u32>, |cursor| async move {
//!     let start = cursor.unwrap_or(0);
//!     Ok::<_, PageError>(Page::new(vec![start, start + 1], (start < 4).then_some(start + 2)))
//! })
//! .try_collect()
//! .await?;
//! assert_eq!(items, vec![0, 1, 2, 3, 4, 5]);
//! # Ok(()) }
//! # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
//! ```

use std::collections::VecDeque;
use std::future::Future;

use futures::Stream;

/// One page of results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T, C> {
    /// The items of this page, in order.
    pub items: Vec<T>,
    /// The cursor of the next page, if any.
    pub next: Option<C>,
    /// Whether the service says there are more pages.
    pub has_more: bool,
}

impl<T, C> Page<T, C> {
    /// A page whose `has_more` follows from the presence of a next cursor.
    pub fn new(items: Vec<T>, next: Option<C>) -> Self {
        let has_more = next.is_some();
        Page {
            items,
            next,
            has_more,
        }
    }
}

/// A paging protocol failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PageError {
    /// The service said there are more pages but gave no cursor.
    #[error("the service reported more pages but returned no cursor")]
    MissingCursor,
}

/// Streams every item of a cursor-paged listing, starting at `start`.
///
/// `fetch(cursor)` fetches one page. Items of a page are handed out before the next page is
/// fetched; a page that claims more results but has no cursor hands out its items and then
/// ends the stream with [`PageError::MissingCursor`].
pub fn paginate<T, C, E, F, Fut>(start: Option<C>, fetch: F) -> impl Stream<Item = Result<T, E>>
where
    F: FnMut(Option<C>) -> Fut,
    Fut: Future<Output = Result<Page<T, C>, E>>,
    E: From<PageError>,
{
    struct State<T, C, E, F> {
        buffer: VecDeque<T>,
        cursor: Option<C>,
        more: bool,
        pending_error: Option<E>,
        fetch: F,
    }
    let state = State {
        buffer: VecDeque::new(),
        cursor: start,
        more: true,
        pending_error: None,
        fetch,
    };
    futures::stream::unfold(state, |mut state| async move {
        loop {
            if let Some(item) = state.buffer.pop_front() {
                return Some((Ok(item), state));
            }
            if let Some(error) = state.pending_error.take() {
                return Some((Err(error), state));
            }
            if !state.more {
                return None;
            }
            match (state.fetch)(state.cursor.take()).await {
                Err(error) => {
                    state.more = false;
                    return Some((Err(error), state));
                }
                Ok(page) => {
                    state.buffer.extend(page.items);
                    if page.has_more && page.next.is_none() {
                        state.more = false;
                        state.pending_error = Some(PageError::MissingCursor.into());
                    } else {
                        state.more = page.has_more;
                        state.cursor = page.next;
                    }
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt;
    use std::cell::Cell;

    #[tokio::test]
    async fn first_page_is_fetched_lazily() {
        let calls = Cell::new(0);
        let stream = paginate(None::<u8>, |_| {
            calls.set(calls.get() + 1);
            async { Ok::<_, PageError>(Page::new(vec![1], None)) }
        });
        assert_eq!(calls.get(), 0);
        let items: Vec<_> = stream.collect().await;
        assert_eq!(items, vec![Ok(1)]);
        assert_eq!(calls.get(), 1);
    }

    #[tokio::test]
    async fn missing_cursor_with_more_pages_ends_with_an_error_after_the_items() {
        let stream = paginate(None::<u8>, |_| async {
            Ok::<_, PageError>(Page {
                items: vec![7, 8],
                next: None,
                has_more: true,
            })
        });
        let items: Vec<_> = stream.collect().await;
        assert_eq!(items, vec![Ok(7), Ok(8), Err(PageError::MissingCursor)]);
    }

    #[tokio::test]
    async fn an_error_ends_the_stream() {
        #[derive(Debug, PartialEq)]
        enum E {
            Paging,
            Boom,
        }
        impl From<PageError> for E {
            fn from(_: PageError) -> Self {
                E::Paging
            }
        }
        let stream = paginate(None::<u8>, |cursor| async move {
            match cursor {
                None => Ok(Page::new(vec![1], Some(1))),
                Some(_) => Err(E::Boom),
            }
        });
        let items: Vec<_> = stream.collect().await;
        assert_eq!(items, vec![Ok(1), Err(E::Boom)]);
    }
}
