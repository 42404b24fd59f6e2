"""The npm side of hatch-stage: the pieces the ``npm-*`` plugins and the npm client share.

- :mod:`.registry`: registry URLs (validation, ``.npmrc`` keys) and escaped package names.
- :mod:`.npmrc`: reading ``.npmrc`` files the way npm does (``${ENV}`` expansion included).
- :mod:`.auth`: credentials in the documented order; :mod:`.oidc` is trusted publishing.
- :mod:`.packer`: running ``npm pack``; :mod:`.tarball`: reading and re-packing tarballs.
- :mod:`.workspace` and :mod:`.specs`: pnpm's ``workspace:`` and ``catalog:`` ranges.
- :mod:`.versions`: the semver rules a version and dist-tag must pass before staging.
- :mod:`.otp`: one-time-password challenges and npm's web authentication flow.
- :mod:`.publish`: the publish document, written to a file so its size never sits in memory.

docs/npm.md describes the behaviour for users.
"""
