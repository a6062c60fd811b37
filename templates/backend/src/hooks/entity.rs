// {{ header }}
//! Hooks for {{ e.plural_words }}: your code, run by the handlers in
//! `crate::http::{{ e.plural_snake }}` after a request body is validated and before anything is
//! written. Change the row to adjust what is stored, or return an [`ApiError`] to refuse the
//! request (for example `ApiError::RuleViolated`). The spec's rules, the reference checks and
//! the database constraints still apply after a hook runs.

use crate::error::ApiError;
use crate::http::{{ e.plural_snake }}::{{ e.name }};
use crate::startup::AppState;

/// Runs before a new {{ e.words }} is inserted.
{{ sig.before_create }}
    Ok(())
}

/// Runs before a changed {{ e.words }} is written; `current` is the stored version.
{{ sig.before_update }}
    Ok(())
}

/// Runs before {{ e.article_words }} is deleted.
{{ sig.before_delete }}
    Ok(())
}
