"""Which project URLs a release declares: PEP 753 labels, the compound labels projects
actually write, and repository and documentation hosts.

A label is normalized as PEP 753 says (ASCII punctuation and whitespace removed, lowercased)
and looked up in the well-known list with its aliases, plus a few aliases the well-known list
lacks that popular packages use (``Code``, ``Repo``, ``RTD``). A compound label ("GitHub:
repo", "Docs: Changelog", "CI: GitHub Actions") is judged by what follows the colon, else by
what precedes it, so "Docs: Changelog" is a changelog and "CI: GitHub Actions" is nothing
well-known. Then the URL itself: a repository on a code forge (``github.com/owner/repo``)
is the source whatever its label (a common ``Homepage``), as PyPI itself treats it when it
shows repository statistics, and a Read the Docs site is documentation.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from urllib.parse import urlsplit

#: well-known kind -> normalized labels that mean it: PEP 753's well-known labels and aliases
#: first, then the aliases popular packages use ("releasenotes" counts as a changelog)
URL_KINDS: Mapping[str, frozenset[str]] = {
    "homepage": frozenset({"homepage", "home", "website", "projecthome"}),
    "source": frozenset({"source", "repository", "sourcecode", "github", "code", "repo",
                         "gitlab", "bitbucket", "codeberg", "sourcehut", "git"}),
    "download": frozenset({"download", "downloads"}),
    "changelog": frozenset({"changelog", "changes", "whatsnew", "history", "releasenotes",
                            "news", "releases", "changelogs"}),
    "documentation": frozenset({"documentation", "docs", "rtd", "readthedocs", "manual",
                                "userguide", "reference", "apireference"}),
    "issues": frozenset({"issues", "bugs", "issue", "tracker", "issuetracker", "bugtracker",
                         "bugreports", "githubissues"}),
    "funding": frozenset({"funding", "sponsor", "donate", "donation", "tidelift",
                          "opencollective"}),
    "security": frozenset({"security", "securitypolicy"}),
}
#: code forges whose ``/<owner>/<repository>`` URLs are repositories
FORGES = frozenset({"github.com", "gitlab.com", "bitbucket.org", "codeberg.org", "git.sr.ht",
                    "sr.ht"})
#: second path parts on a forge that are pages about a repository, not the repository
_FORGE_PAGES = frozenset({"issues", "pulls", "actions", "wiki", "discussions", "releases",
                          "security", "projects", "milestones", "-"})
_FORGE_ACCOUNTS = frozenset({"sponsors", "orgs", "apps", "marketplace", "settings"})

_LABEL_NOISE = str.maketrans("", "", string.punctuation + string.whitespace)


def normalize_label(label: str) -> str:
    """A project URL label as PEP 753 compares them: no punctuation, spaces or case."""
    return label.translate(_LABEL_NOISE).lower()


def _kind_of(normalized: str) -> str | None:
    for kind, aliases in URL_KINDS.items():
        if normalized in aliases:
            return kind
    return None


def label_kind(label: str) -> str | None:
    """The well-known kind a label means, or None."""
    kind = _kind_of(normalize_label(label))
    if kind is None and ":" in label:
        prefix, _, specific = label.partition(":")
        kind = _kind_of(normalize_label(specific)) or _kind_of(normalize_label(prefix))
    return kind


def url_kind(url: str) -> str | None:
    """"source" for a repository on a code forge, "documentation" for Read the Docs, or None."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    host = host.removeprefix("www.")
    if host.endswith((".readthedocs.io", ".readthedocs.org")):
        return "documentation"
    path = [part.lower() for part in parts.path.split("/") if part]
    if host not in FORGES or len(path) < 2 or path[0] in _FORGE_ACCOUNTS:
        return None
    return "source" if len(path) == 2 or path[2] not in _FORGE_PAGES else None


def url_kinds(project_urls: Mapping[str, str]) -> dict[str, str]:
    """Well-known kind -> the label of the first URL declaring it, by label, then by URL."""
    kinds: dict[str, str] = {}
    for label in project_urls:
        kind = label_kind(label)
        if kind is not None:
            kinds.setdefault(kind, label)
    for label, url in project_urls.items():
        kind = url_kind(url)
        if kind is not None:
            kinds.setdefault(kind, label)
    return kinds
