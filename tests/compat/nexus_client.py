#!/usr/bin/env python3
"""Compatibility check: drive a running Stowage with Sonatype's generated Nexus client.

Uses the PyPI package `nexus-api-client` (module `nexus_api_client`), whose pydantic models
validate every response, so a field Stowage gets wrong fails here the way it would fail for
a real user of that client. Only the client's API classes are used, never raw HTTP.

Checks, in order:
  1. GET /v1/status answers.
  2. The repository list contains --repository, with format raw and type hosted
     (and, where the client has it, GET /v1/repositories/{name} agrees).
  3. GET /v1/repositories/raw/hosted/{name} parses as RawHostedApiRepository, with the
     expected name and storage.writePolicy.
  4. The asset list (every page, following continuationToken) has an asset at --expect-path
     with a sha256 checksum.
  5. The component list (every page) parses.
  6. With --group: GET /v1/repositories/raw/group/{group} parses as RawGroupApiRepository
     (which requires `raw`), lists --repository as a member and has a contentDisposition.

Usage:
  python3 tests/compat/nexus_client.py --url http://127.0.0.1:PORT/service/rest \
      --user admin --password PASS --repository NAME --expect-path PATH \
      [--expect-write-policy ALLOW] [--group GROUP]

Exit status: 0 when every check passes, 1 on a usage error, a failed check or any exception.
"""

import argparse
import sys
import traceback

# Guard against endless paging if a server keeps handing out tokens.
MAX_PAGES = 1000

# What the script is doing now, for the failure message.
STEP = ["start-up"]


class CheckFailed(Exception):
    """A compatibility check did not hold."""


def check(condition, message):
    if not condition:
        raise CheckFailed(message)


def step(what):
    STEP[0] = what


def say(message):
    print(f"nexus_client: {message}", flush=True)


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--url", required=True, help="REST base, e.g. http://127.0.0.1:8081/service/rest")
    p.add_argument("--user", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--repository", required=True, help="name of a raw hosted repository")
    p.add_argument("--expect-path", required=True, help="path of an asset that must be listed")
    p.add_argument(
        "--expect-write-policy",
        default="ALLOW",
        help="expected storage.writePolicy of the repository (default: ALLOW)",
    )
    p.add_argument(
        "--group",
        help="name of a raw group repository that has --repository as a member (optional)",
    )
    p.add_argument(
        "--timeout", type=float, default=30.0, help="per-request timeout in seconds (default: 30)"
    )
    return p.parse_args(argv)


def all_pages(fetch, what):
    """Calls fetch(continuation_token) until the returned page's continuation_token is None;
    returns every item."""
    items = []
    token = None
    for page_no in range(1, MAX_PAGES + 1):
        page = fetch(token)
        page_items = page.items or []
        say(f"{what}: page {page_no} has {len(page_items)} item(s), continuationToken={page.continuation_token!r}")
        items.extend(page_items)
        token = page.continuation_token
        if token is None:
            return items
    raise CheckFailed(f"{what}: still getting a continuationToken after {MAX_PAGES} pages")


def run(args):
    step("importing nexus_api_client")
    import nexus_api_client
    from nexus_api_client.api.assets_api import AssetsApi
    from nexus_api_client.api.components_api import ComponentsApi
    from nexus_api_client.api.repository_management_api import RepositoryManagementApi
    from nexus_api_client.api.status_api import StatusApi

    try:
        from importlib.metadata import version as dist_version

        version = dist_version("nexus-api-client")
    except Exception:  # noqa: BLE001 - only informative
        version = "?"
    say(f"using nexus_api_client {version} from {nexus_api_client.__file__}")

    config = nexus_api_client.Configuration(
        host=args.url.rstrip("/"), username=args.user, password=args.password
    )
    t = args.timeout
    with nexus_api_client.ApiClient(config) as client:
        status = StatusApi(client)
        repos_api = RepositoryManagementApi(client)
        assets_api = AssetsApi(client)
        components_api = ComponentsApi(client)

        # 1. Status.
        step("GET /v1/status (StatusApi.list_status)")
        status.list_status(_request_timeout=t)
        say("GET /v1/status: OK")

        # 2. Repository list. Newer clients call the list `get_all_repositories()` and use
        # `get_repositories(name)` for one repository; older ones call the list
        # `get_repositories()`.
        step("GET /v1/repositories (RepositoryManagementApi, repository list)")
        if hasattr(repos_api, "get_all_repositories"):
            repos = repos_api.get_all_repositories(_request_timeout=t)
        else:
            repos = repos_api.get_repositories(_request_timeout=t)
        check(isinstance(repos, list), f"repository list: expected a list, got {type(repos).__name__}")
        say(f"repositories: {[(r.name, r.format, r.type) for r in repos]}")
        matching = [r for r in repos if r.name == args.repository]
        check(matching, f"repository list: no repository named {args.repository!r}")
        repo = matching[0]
        check(repo.format == "raw", f"repository list: {args.repository!r} has format {repo.format!r}, expected 'raw'")
        check(repo.type == "hosted", f"repository list: {args.repository!r} has type {repo.type!r}, expected 'hosted'")
        check(repo.url, f"repository list: {args.repository!r} has no url")
        say(f"repository list entry: name={repo.name} format={repo.format} type={repo.type} online={repo.online} size={repo.size} url={repo.url}")

        if hasattr(repos_api, "get_all_repositories"):
            step(f"GET /v1/repositories/{args.repository} (RepositoryManagementApi.get_repositories)")
            one = repos_api.get_repositories(args.repository, _request_timeout=t)
            check(one.name == args.repository, f"GET /v1/repositories/{args.repository}: name is {one.name!r}")
            check(one.format == "raw", f"GET /v1/repositories/{args.repository}: format is {one.format!r}, expected 'raw'")
            check(one.type == "hosted", f"GET /v1/repositories/{args.repository}: type is {one.type!r}, expected 'hosted'")
            say(f"GET /v1/repositories/{args.repository}: name={one.name} format={one.format} type={one.type}")

        # 3. The raw hosted repository's own settings.
        step(f"GET /v1/repositories/raw/hosted/{args.repository} (RepositoryManagementApi.get_raw_hosted_repository)")
        raw = repos_api.get_raw_hosted_repository(args.repository, _request_timeout=t)
        check(raw.name == args.repository, f"raw hosted repository: name is {raw.name!r}, expected {args.repository!r}")
        check(raw.format == "raw", f"raw hosted repository: format is {raw.format!r}, expected 'raw'")
        check(raw.type == "hosted", f"raw hosted repository: type is {raw.type!r}, expected 'hosted'")
        check(
            raw.storage.write_policy == args.expect_write_policy,
            f"raw hosted repository: storage.writePolicy is {raw.storage.write_policy!r}, "
            f"expected {args.expect_write_policy!r}",
        )
        say(
            f"raw hosted repository: name={raw.name} online={raw.online} "
            f"blobStoreName={raw.storage.blob_store_name} "
            f"strictContentTypeValidation={raw.storage.strict_content_type_validation} "
            f"writePolicy={raw.storage.write_policy} "
            f"contentDisposition={raw.raw.content_disposition if raw.raw else None}"
        )

        # 4. Assets. Newer clients: list_assets(repository, continuation_token); older ones:
        # get_assets(repository=..., continuation_token=...).
        step(f"GET /v1/assets?repository={args.repository} (AssetsApi, asset list)")
        list_assets = getattr(assets_api, "list_assets", None) or assets_api.get_assets
        assets = all_pages(
            lambda tok: list_assets(repository=args.repository, continuation_token=tok, _request_timeout=t),
            "assets",
        )
        for a in assets:
            say(f"  asset path={a.path} id={a.id} size={a.file_size} contentType={a.content_type} checksum={a.checksum}")
        wanted = [a for a in assets if a.path == args.expect_path]
        check(
            wanted,
            f"assets: no asset with path {args.expect_path!r} in {args.repository!r} "
            f"({len(assets)} asset(s); first paths: {[a.path for a in assets[:20]]})",
        )
        asset = wanted[0]
        sha256 = (asset.checksum or {}).get("sha256")
        check(sha256, f"assets: {args.expect_path!r} has no sha256 checksum (checksum={asset.checksum!r})")
        check(
            len(sha256) == 64 and all(c in "0123456789abcdef" for c in sha256),
            f"assets: {args.expect_path!r} sha256 {sha256!r} is not 64 lowercase hex digits",
        )
        check(asset.repository == args.repository, f"assets: {args.expect_path!r} names repository {asset.repository!r}")
        say(f"asset {args.expect_path}: sha256={sha256}")

        # 5. Components.
        step(f"GET /v1/components?repository={args.repository} (ComponentsApi, component list)")
        list_components = getattr(components_api, "list_components", None) or components_api.get_components
        components = all_pages(
            lambda tok: list_components(repository=args.repository, continuation_token=tok, _request_timeout=t),
            "components",
        )
        for c in components:
            say(
                f"  component id={c.id} group={c.group} name={c.name} version={c.version} "
                f"assets={[a.path for a in (c.assets or [])]}"
            )
        say(f"components: {len(components)} in total")

        # 6. A raw group's own settings.
        if args.group:
            step(f"GET /v1/repositories/raw/group/{args.group} (RepositoryManagementApi.get_raw_group_repository)")
            group = repos_api.get_raw_group_repository(args.group, _request_timeout=t)
            check(group.name == args.group, f"raw group: name is {group.name!r}, expected {args.group!r}")
            check(group.type == "group", f"raw group: type is {group.type!r}, expected 'group'")
            check(
                args.repository in group.group.member_names,
                f"raw group: memberNames {group.group.member_names!r} lack {args.repository!r}",
            )
            check(group.raw.content_disposition, "raw group: raw.contentDisposition is missing")
            say(
                f"raw group: name={group.name} members={group.group.member_names} "
                f"contentDisposition={group.raw.content_disposition}"
            )

    say("all checks passed")


def main(argv=None):
    try:
        args = parse_args(sys.argv[1:] if argv is None else argv)
    except SystemExit as e:  # argparse: --help exits 0, a usage error 2; report errors as 1
        return 0 if e.code in (0, None) else 1
    try:
        run(args)
    except CheckFailed as e:
        print(f"nexus_client: FAILED during {STEP[0]}: {e}", file=sys.stderr, flush=True)
        return 1
    except ImportError as e:
        print(
            f"nexus_client: FAILED: cannot import the Nexus client ({e}); "
            "install it with: pip install nexus-api-client",
            file=sys.stderr,
            flush=True,
        )
        return 1
    except Exception as e:  # noqa: BLE001 - any client error (HTTP, validation) is a failure
        # pydantic's ValidationError names the model, the field and the value Stowage sent;
        # ApiException carries the status, headers and body.
        traceback.print_exc(file=sys.stderr)
        print(
            f"nexus_client: FAILED during {STEP[0]}: {type(e).__name__}: {str(e).strip()}",
            file=sys.stderr,
            flush=True,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
