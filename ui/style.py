"""The page's CSS: layout only; every colour a badge uses comes from html.py."""
from __future__ import annotations

CSS = """<style>
.ps-card {margin-bottom: .1rem}
.ps-meta {display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; margin-bottom: .45rem}
.ps-badge {display: inline-block; color: #fff; font-weight: 700; font-size: .78rem; letter-spacing: .04em;
           padding: .08rem .55rem; border-radius: .7rem; line-height: 1.5; vertical-align: .08em}
.ps-who-link, .ps-who-link:hover {text-decoration: none}
.ps-who-link:focus-visible {outline: 2px solid #1d4ed8; outline-offset: 2px; border-radius: .7rem}
.ps-who {margin-bottom: .6rem}
.ps-who:target {outline: 3px solid #1d4ed8; outline-offset: 2px}
.ps-rel {font-size: .82rem; opacity: .8}
.ps-dots {color: #1d4ed8; letter-spacing: .08em; margin-right: .15rem}
.ps-rel-1 .ps-dots, .ps-rel-2 .ps-dots {color: #94a3b8}
.ps-passage {font-size: 1.05rem; line-height: 1.6}
.ps-source {font-size: .88rem; opacity: .78; margin-top: .45rem}
.ps-extra {font-size: .82rem; opacity: .7; margin-top: .25rem}
.ps-doc {font-size: .82rem; opacity: .78; margin-top: .2rem}
.ps-doc::before {content: "From: "; opacity: .8}
.ps-dochead {font-size: 1.25rem; font-weight: 700; margin: .8rem 0 .1rem}
.ps-docmeta {font-size: .88rem; opacity: .78; margin-bottom: .4rem}
.ps-by {font-size: .85rem}
.ps-question {font-weight: 600; line-height: 1.45; margin: .1rem 0 .4rem}
.ps-qnum {display: inline-block; font-weight: 700; color: #1d4ed8; margin-right: .2rem}
.ps-answer {line-height: 1.6; margin: .35rem 0 .5rem}
.ps-note {font-style: italic; opacity: .75; padding: .35rem 0}
.ps-gone {font-size: .8rem; font-weight: 600; color: #9a3412; background: #ffedd5; padding: .05rem .5rem; border-radius: .5rem}
.ps-pack-quote {border-left: 3px solid #1d4ed8; padding: .1rem 0 .1rem .8rem; margin: .4rem 0; line-height: 1.55}
.ps-passage mark, .ps-answer mark, .ps-pack-quote mark {background: #fde68a; color: #111827;
           padding: 0 .12em; border-radius: .15em}
.ps-matched {background: rgba(29, 78, 216, .13); border-bottom: 2px solid rgba(29, 78, 216, .55);
           padding: .05em 0}
h1 {font-size: 2.3rem !important}
@media (max-width: 640px) {h1 {font-size: 1.7rem !important} .ps-passage {font-size: 1rem}
  [data-testid=stMainBlockContainer] {padding-top: 3rem}}
/* On a phone the sidebar is folded away: the pack's count stays in sight at the top. */
.ps-packcount {display: none}
@media (max-width: 640px) {.ps-packcount {display: block; position: fixed; top: .75rem; right: 1rem; z-index: 999990;
  background: #1d4ed8; color: #fff; font-size: .8rem; font-weight: 600; padding: .15rem .6rem; border-radius: .8rem}}
abbr[title] {text-decoration: underline dotted; cursor: help}
abbr[title]:focus {outline: 2px solid #1d4ed8; outline-offset: 1px}
abbr[title]:focus::after {content: " (" attr(title) ")"; font-size: .85em; color: #1e3a8a}
.ps-agree-head {font-weight: 700; margin: .6rem 0 .3rem}
.ps-agree-pair {display: grid; grid-template-columns: 1fr 1fr; gap: .8rem; margin-bottom: .5rem}
.ps-agree-quote {border-left: 3px solid #cbd5e1; padding-left: .6rem; line-height: 1.5}
.ps-agree-only {margin: 0 0 .4rem 1rem}
@media (max-width: 640px) {.ps-agree-pair {grid-template-columns: 1fr}}
.ps-glossary {display: grid; grid-template-columns: max-content 1fr; gap: .2rem .9rem; margin: 0}
.ps-glossary dt {font-weight: 700}
.ps-glossary dd {margin: 0}
</style>"""
