//! Line layout for the few generated Rust constructs whose shape depends on the spec's
//! names. Each function lays its construct out the way rustfmt (edition 2024, default
//! options) does, so generated code passes `cargo fmt --check` without running rustfmt.
//! The widths are rustfmt's defaults under `use_small_heuristics = "Default"`.

/// `max_width`.
const MAX_WIDTH: usize = 100;
/// `fn_call_width`: the widest argument list kept on one line.
const FN_CALL_WIDTH: usize = 60;
/// `chain_width`: the widest method chain kept on one line.
const CHAIN_WIDTH: usize = 60;
/// `array_width`: the widest array kept on one line.
const ARRAY_WIDTH: usize = 60;
/// `struct_lit_width`: the widest struct literal body kept on one line.
const STRUCT_LIT_WIDTH: usize = 18;
/// `short_array_element_width_threshold`: arrays of items this short fill lines.
const SHORT_ITEM_WIDTH: usize = 10;

/// `head` + arguments + `tail`, e.g. `let x = f(` .. `);`: one line when the arguments fit
/// in 60 columns and the line in 100, else one argument per line.
pub fn call(indent: usize, head: &str, args: &[String], tail: &str) -> String {
    let joined = args.join(", ");
    if width(&joined) <= FN_CALL_WIDTH && fits(indent, &[head, &joined, tail]) {
        return format!("{}{head}{joined}{tail}", pad(indent));
    }
    vertical(indent, head, args, tail)
}

/// A method call on a simple receiver, e.g. `let x = ` `fields` `.required(` .. `);`: on one
/// line when it fits; else, when the arguments fit in 60 columns, the call moves to its own
/// line under the receiver; else one argument per line.
pub fn method_call(
    indent: usize,
    prefix: &str,
    receiver: &str,
    method: &str,
    args: &[String],
    tail: &str,
) -> String {
    let joined = args.join(", ");
    if width(&joined) <= FN_CALL_WIDTH {
        if fits(
            indent,
            &[prefix, receiver, ".", method, "(", &joined, ")", tail],
        ) {
            return format!("{}{prefix}{receiver}.{method}({joined}){tail}", pad(indent));
        }
        if fits(indent + 4, &[".", method, "(", &joined, ")", tail]) {
            return format!(
                "{}{prefix}{receiver}\n{}.{method}({joined}){tail}",
                pad(indent),
                pad(indent + 4)
            );
        }
    }
    vertical(
        indent,
        &format!("{prefix}{receiver}.{method}("),
        args,
        &format!("){tail}"),
    )
}

/// `let <name> = <receiver>.<method>(..);`: like [`method_call`], except that a call that
/// does not fit after `=` but fits on the next line goes there, as rustfmt prefers for
/// `let` statements.
pub fn let_method_call(
    indent: usize,
    name: &str,
    receiver: &str,
    method: &str,
    args: &[String],
) -> String {
    let joined = args.join(", ");
    let prefix = format!("let {name} = ");
    let one_line = fits(
        indent,
        &[&prefix, receiver, ".", method, "(", &joined, ");"],
    );
    let next_line = fits(indent + 4, &[receiver, ".", method, "(", &joined, ");"]);
    if width(&joined) <= FN_CALL_WIDTH && !one_line && next_line {
        return format!(
            "{}let {name} =\n{}{receiver}.{method}({joined});",
            pad(indent),
            pad(indent + 4)
        );
    }
    method_call(indent, &prefix, receiver, method, args, ";")
}

/// `<decl>: <ty>,` of a struct field: on one line when it fits, else the type on the next
/// line.
pub fn field_decl(indent: usize, decl: &str, ty: &str) -> String {
    if fits(indent, &[decl, ": ", ty, ","]) {
        format!("{}{decl}: {ty},", pad(indent))
    } else {
        format!("{}{decl}:\n{}{ty},", pad(indent), pad(indent + 4))
    }
}

/// `<name>: <expr>,` in a struct literal, for an expression that cannot break: on one line
/// when it fits, else the expression on the next line when it fits there.
pub fn field_init(indent: usize, name: &str, expr: &str) -> String {
    // The next line must leave the last column free, as for rustfmt's other fallbacks.
    if !fits(indent, &[name, ": ", expr, ","]) && fits(indent + 5, &[expr, ","]) {
        format!("{}{name}:\n{}{expr},", pad(indent), pad(indent + 4))
    } else {
        format!("{}{name}: {expr},", pad(indent))
    }
}

/// `<name>: self.<field>,` in a struct literal: a field access is a chain to rustfmt, so a
/// line too long breaks before `.<field>`.
pub fn self_field_init(indent: usize, name: &str, field: &str) -> String {
    if fits(indent, &[name, ": self.", field, ","]) {
        format!("{}{name}: self.{field},", pad(indent))
    } else {
        format!("{}{name}: self\n{}.{field},", pad(indent), pad(indent + 4))
    }
}

/// `.bind(row.<field>.to_repr())` in a chain of binds: the argument moves to its own line
/// when longer than 60 columns, and breaks before `.to_repr()` when still too long.
pub fn bind(indent: usize, field: &str) -> String {
    let arg = format!("row.{field}.to_repr()");
    if width(&arg) <= FN_CALL_WIDTH && fits(indent, &[".bind(", &arg, ")"]) {
        return format!("{}.bind({arg})", pad(indent));
    }
    let inner = if width(&arg) <= CHAIN_WIDTH && fits(indent + 4, &[&arg, ","]) {
        format!("{}{arg},", pad(indent + 4))
    } else {
        format!(
            "{}row.{field}\n{}.to_repr(),",
            pad(indent + 4),
            pad(indent + 8)
        )
    };
    format!("{}.bind(\n{inner}\n{})", pad(indent), pad(indent))
}

/// `<receiver>.<field>.<call><tail>` as a statement: a chain, on one line up to 60 columns,
/// else broken before the call.
pub fn field_method_call(
    indent: usize,
    receiver: &str,
    field: &str,
    call: &str,
    tail: &str,
) -> String {
    let chain = format!("{receiver}.{field}.{call}");
    if width(&chain) <= CHAIN_WIDTH && fits(indent, &[&chain, tail]) {
        format!("{}{chain}{tail}", pad(indent))
    } else {
        format!(
            "{}{receiver}.{field}\n{}.{call}{tail}",
            pad(indent),
            pad(indent + 4)
        )
    }
}

/// `<head> = <expr>;` for an expression that cannot break (a `const` or `let`): on one
/// line when it fits, else the expression on the next line when it fits there (an
/// expression too long for either line stays after the `=`, as rustfmt leaves it).
pub fn assign(indent: usize, head: &str, expr: &str) -> String {
    if fits(indent, &[head, " = ", expr, ";"]) || !fits(indent + 4, &[expr, ";"]) {
        format!("{}{head} = {expr};", pad(indent))
    } else {
        format!("{}{head} =\n{}{expr};", pad(indent), pad(indent + 4))
    }
}

/// `let Some(<name>) = <name> else { return Err(fields.into_error()); };`, in the three
/// shapes rustfmt gives a `let`-`else` as the names grow.
pub fn let_some_else(indent: usize, name: &str) -> String {
    let body = format!(
        "{}return Err(fields.into_error());\n{}}};",
        pad(indent + 4),
        pad(indent)
    );
    let pattern = format!("let Some({name}) = {name}");
    // rustfmt keeps a `let`-`else` on one line only when it ends before the last column.
    if fits(indent + 1, &[&pattern, " else {"]) {
        format!("{}{pattern} else {{\n{body}", pad(indent))
    } else if fits(indent, &[&pattern]) {
        format!("{}{pattern}\n{}else {{\n{body}", pad(indent), pad(indent))
    } else {
        format!(
            "{}let Some({name}) =\n{}{name}\n{}else {{\n{body}",
            pad(indent),
            pad(indent + 4),
            pad(indent)
        )
    }
}

/// `<prefix><receiver>.<call>.await<tail>`, a two-link chain: on one line when the chain
/// takes at most 60 columns; else, as a block's tail after a receiver shorter than 4
/// columns, `.await` alone moves down; otherwise every link gets its own line.
pub fn awaited(indent: usize, prefix: &str, receiver: &str, call: &str, tail: &str) -> String {
    let chain = format!("{receiver}.{call}.await");
    if width(&chain) <= CHAIN_WIDTH && fits(indent, &[prefix, &chain, tail]) {
        return format!("{}{prefix}{chain}{tail}", pad(indent));
    }
    if prefix.is_empty() && width(receiver) < 4 {
        return format!(
            "{}{receiver}.{call}\n{}.await{tail}",
            pad(indent),
            pad(indent + 4)
        );
    }
    format!(
        "{}{prefix}{receiver}\n{}.{call}\n{}.await{tail}",
        pad(indent),
        pad(indent + 4),
        pad(indent + 4)
    )
}

/// A call as the only argument of another call, e.g. `errors.push(FieldError::new(` ..
/// `));`: on one line when the inner call fits in 60 columns as the outer argument, else
/// the inner arguments one per line.
pub fn nested_call(indent: usize, outer: &str, inner: &str, args: &[String], tail: &str) -> String {
    let joined = args.join(", ");
    let inner_width = width(inner) + width(&joined) + 1;
    if inner_width <= FN_CALL_WIDTH && fits(indent, &[outer, inner, &joined, tail]) {
        return format!("{}{outer}{inner}{joined}{tail}", pad(indent));
    }
    vertical(indent, &format!("{outer}{inner}"), args, tail)
}

/// A function signature: on one line when it fits in 100 columns, else one parameter per line.
pub fn signature(indent: usize, head: &str, params: &[String], tail: &str) -> String {
    let joined = params.join(", ");
    if fits(indent, &[head, &joined, tail]) {
        return format!("{}{head}{joined}{tail}", pad(indent));
    }
    vertical(indent, head, params, tail)
}

/// A struct literal (`head` ends with `{`, `tail` starts with `}`): on one line when its
/// fields take at most 18 columns, else one field per line.
pub fn struct_literal(indent: usize, head: &str, fields: &[String], tail: &str) -> String {
    let joined = fields.join(", ");
    if fields.is_empty() {
        return format!("{}{head}{tail}", pad(indent));
    }
    if width(&joined) <= STRUCT_LIT_WIDTH && fits(indent, &[head, " ", &joined, " ", tail]) {
        return format!("{}{head} {joined} {tail}", pad(indent));
    }
    vertical(indent, head, fields, tail)
}

/// An array literal (`head` ends with `[`, `tail` starts with `]`): on one line when it
/// fits in 60 columns; arrays of short items fill lines; otherwise one item per line.
pub fn array(indent: usize, head: &str, items: &[String], tail: &str) -> String {
    let joined = items.join(", ");
    if width(&joined) <= ARRAY_WIDTH && fits(indent, &[head, &joined, tail]) {
        return format!("{}{head}{joined}{tail}", pad(indent));
    }
    if items.iter().all(|item| width(item) <= SHORT_ITEM_WIDTH) {
        let inner = indent + 4;
        let mut lines = vec![format!("{}{head}", pad(indent))];
        let mut line = String::new();
        for item in items {
            let piece = format!("{item},");
            if !line.is_empty() && inner + width(&line) + 1 + width(&piece) > MAX_WIDTH {
                lines.push(format!("{}{line}", pad(inner)));
                line.clear();
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(&piece);
        }
        lines.push(format!("{}{line}", pad(inner)));
        lines.push(format!("{}{tail}", pad(indent)));
        return lines.join("\n");
    }
    vertical(indent, head, items, tail)
}

/// Whether `parts` on one line at `indent` fit in 100 columns.
pub fn fits(indent: usize, parts: &[&str]) -> bool {
    indent + parts.iter().map(|p| width(p)).sum::<usize>() <= MAX_WIDTH
}

/// Display width in columns (the generated code's names are ASCII; prose may not be).
fn width(text: &str) -> usize {
    text.chars().count()
}

fn vertical(indent: usize, head: &str, items: &[String], tail: &str) -> String {
    let mut out = format!("{}{head}\n", pad(indent));
    for item in items {
        out.push_str(&format!("{}{item},\n", pad(indent + 4)));
    }
    out.push_str(&format!("{}{tail}", pad(indent)));
    out
}

fn pad(indent: usize) -> String {
    " ".repeat(indent)
}

/// Splits SQL after commas into lines of at most 90 columns.
pub fn wrap_sql(sql: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for item in sql.split(", ") {
        if !line.is_empty() && line.len() + 2 + item.len() > 90 {
            line.push(',');
            lines.push(std::mem::take(&mut line));
        } else if !line.is_empty() {
            line.push_str(", ");
        }
        line.push_str(item);
    }
    lines.push(line);
    lines
}

/// Lines inside a `"\` string: every line but the last ends with ` \`.
pub fn continued(lines: &[String]) -> Vec<String> {
    let count = lines.len();
    lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            if i + 1 < count {
                format!("{l} \\")
            } else {
                l.clone()
            }
        })
        .collect()
}

/// Ends the last line with ` \\` so the next clause continues the string.
pub fn end_line(lines: &mut [String]) {
    if let Some(last) = lines.last_mut() {
        last.push_str(" \\");
    }
}

/// `text` as `///` lines of at most 100 columns.
pub fn doc_comment(text: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::from("///");
    for word in text.split_whitespace() {
        if line.len() > 3 && line.len() + 1 + word.len() > 100 {
            lines.push(std::mem::replace(&mut line, String::from("///")));
        }
        line.push(' ');
        line.push_str(word);
    }
    lines.push(line);
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn calls_break_when_arguments_pass_sixty_columns() {
        let short = call(4, "let a = f(", &strings(&["\"a\"", "check::uuid"]), ");");
        assert_eq!(short, "    let a = f(\"a\", check::uuid);");
        let args = strings(&[
            "\"ends_at\"",
            "\"booking_ends_at_after_starts_at\"",
            "\"x\"",
        ]);
        // The line would fit, but the inner call is wider than 60 columns as an argument.
        let nested = nested_call(4, "errors.push(", "FieldError::new(", &args, "));");
        assert_eq!(
            nested,
            "    errors.push(FieldError::new(\n        \"ends_at\",\n        \"booking_ends_at_after_starts_at\",\n        \"x\",\n    ));"
        );
    }

    #[test]
    fn struct_literals_stay_on_one_line_up_to_eighteen_columns() {
        assert_eq!(
            struct_literal(0, "Ok(T {", &strings(&["label", "abcdefghi"]), "})"),
            "Ok(T { label, abcdefghi })"
        );
        assert_eq!(
            struct_literal(0, "Ok(T {", &strings(&["label", "abcdefghijklmnop"]), "})"),
            "Ok(T {\n    label,\n    abcdefghijklmnop,\n})"
        );
    }

    #[test]
    fn short_items_fill_lines() {
        let items: Vec<String> = (0..30).map(|i| format!("\"v{i}\"")).collect();
        let out = array(4, "const V: [&str; 30] = [", &items, "];");
        let expected = [
            "    const V: [&str; 30] = [",
            "        \"v0\", \"v1\", \"v2\", \"v3\", \"v4\", \"v5\", \"v6\", \"v7\", \"v8\", \"v9\", \"v10\", \"v11\", \"v12\", \"v13\",",
            "        \"v14\", \"v15\", \"v16\", \"v17\", \"v18\", \"v19\", \"v20\", \"v21\", \"v22\", \"v23\", \"v24\", \"v25\", \"v26\",",
            "        \"v27\", \"v28\", \"v29\",",
            "    ];",
        ];
        assert_eq!(out, expected.join("\n"));
    }
}
