/* text.h: what free text must be, and how it is shown. Everything people
 * type ends up shown to people and in JSON, which carries only valid UTF-8
 * (jansson refuses anything else), so every parser of text checks it.
 *
 * Text signed by other firms reaches this home's terminal: a partner could
 * put terminal commands (ESC, CSI, OSC), line breaks that forge table rows,
 * or bidi overrides that reorder what is read into a commitment's text.
 * So this module also owns the one rule of which characters are dangerous
 * and the two ways of dealing with them: text_escape shows them as visible
 * escapes (every text view of alliancectl prints through it), and
 * text_check refuses them in what this home signs. The store never refuses
 * them: what a peer already signed stays valid, and is only shown escaped.
 *
 * The dangerous characters: C0 controls (U+0000..U+001F) and DEL (U+007F);
 * C1 controls (U+0080..U+009F); the bidi embeddings, overrides, isolates
 * and marks (U+202A..U+202E, U+2066..U+2069, U+200E, U+200F, U+061C); and
 * the line and paragraph separators U+2028, U+2029.
 *
 * A number typed as text is plain decimal digits, read by one strict
 * parser (text_uint).
 */
#ifndef AL_TEXT_H
#define AL_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True when s is valid UTF-8 (no overlong forms, surrogates or code points
 * past U+10FFFF); otherwise *bad (may be NULL) is the offset of the first
 * byte that is not. */
bool text_utf8(const char *s, size_t *bad);

/* s as it may be shown on a terminal, written into out (n bytes; always
 * NUL-terminated when n > 0): every dangerous character, and every byte
 * that is not valid UTF-8, becomes a visible escape, so the result holds
 * only printable ASCII and harmless UTF-8 and takes one line:
 *   \n \r \t                 for newline, carriage return and tab
 *   \xNN (lowercase hex)     for other C0 controls, DEL and invalid bytes
 *   \uNNNN (lowercase hex)   for C1 controls, bidi controls and separators
 *   \\                       for a backslash, so the escapes are unambiguous
 * Other text (accented letters, CJK, emoji) is kept as it is. The output is
 * cut only between two characters or escapes. Returns the length of the
 * whole escaped text, as snprintf does: a result >= n means it was cut.
 * out may be NULL when n is 0 (to measure). */
size_t text_escape(const char *s, char *out, size_t n);

/* text_escape's result in memory of its own (the caller frees it); NULL
 * when memory ran out. */
char *text_escaped(const char *s);

/* The columns s (text as text_escape shows it: UTF-8, its escapes plain
 * ASCII) takes on a terminal, whatever the process locale (alliancectl runs
 * under LANG=C too): 2 for each East Asian Wide or Fullwidth character
 * (CJK, kana, Hangul, fullwidth forms, most emoji), 0 for the combining
 * marks of the common combining blocks (the diacriticals of Latin, Greek,
 * Cyrillic, Hebrew and Arabic, for symbols, the half marks, kana voicing),
 * the variation selectors and the zero-width space, joiners and BOM, 1 for
 * any other character and for each byte that is not UTF-8. The wide ranges
 * are Unicode 14.0's EastAsianWidth.txt (W and F); a combining mark outside
 * those blocks (an Indic vowel sign, say) counts 1, as many terminals show it. */
size_t text_width(const char *s);

/* The cut mark text_cut ends a cut text with: U+2026 HORIZONTAL ELLIPSIS,
 * one column (it is East Asian Ambiguous: one column outside CJK locales,
 * and the tables it ends are padded by text_width's count either way). */
#define TEXT_CUT_MARK "\xe2\x80\xa6"

/* s (shown text, as for text_width) in at most cols columns, into out (n
 * bytes, always NUL-terminated when n > 0): s whole when it fits; else
 * its longest beginning that fits in cols - 1 columns, then TEXT_CUT_MARK.
 * The cut falls only between characters and escapes: never inside a UTF-8
 * sequence nor inside \x1b, \u202e or \\ (a combining mark stays with the
 * character before it). n = strlen(s) + sizeof TEXT_CUT_MARK always
 * suffices; with less, fewer whole pieces are kept. Returns the columns
 * written. */
size_t text_cut(const char *s, size_t cols, char *out, size_t n);

/* A JSON document (json, as jansson dumped it: valid UTF-8) with DEL and
 * the dangerous characters above U+007F written as \uNNNN escapes (jansson
 * already escapes the C0 controls), written into out as text_escape does
 * (n bytes, NUL-terminated, the length of the whole as the result). Those
 * characters can only stand inside JSON strings, where the escape means
 * the same character: the document parses to the same values. Other
 * non-ASCII text is kept as UTF-8. */
size_t text_escape_json(const char *json, char *out, size_t n);

/* May this home sign s as free text? Valid UTF-8 with no dangerous
 * character other than newline and tab. AL_OK, or AL_E_INVAL with why
 * (AL_ERRLEN, may be NULL) naming field ("--note", "the title"), the
 * character (U+202E RIGHT-TO-LEFT OVERRIDE), its position (counted in
 * characters from 1) and the fix. A policy for authoring only: never a
 * reason to refuse what a peer signed. */
int text_check(const char *field, const char *s, char *why);

/* A whole number written as decimal digits only, from 0 to max: no sign,
 * no space (before, inside or after), no other base, nothing after it.
 * strtoull alone takes " 5", "+5" and "-1" (as a huge number). Returns
 * true with *out set, or false (*out untouched) for anything else,
 * including a number above max. */
bool text_uint(const char *s, uint64_t max, uint64_t *out);

#endif
