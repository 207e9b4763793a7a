"""`bb.fetch2` (also `bb.fetch`): URL handling and the source-revision helpers that
metadata calls at parse time. Downloading is bake's Rust fetcher's job (bb-fetch);
`Fetch` here only decodes the URLs."""

import collections
import os
import re
import urllib.parse

import bb

CHECKSUM_LIST = ["goh1", "md5", "sha256", "sha1", "sha384", "sha512"]
SHOWN_CHECKSUM_LIST = ["sha256"]

# Schemes whose fetchers know source revisions.
_SRCREV_SCHEMES = {"git", "gitsm", "hg", "svn", "bzr", "repo", "p4", "gitannex"}


class BBFetchException(Exception):
    """The base of fetcher errors."""

    def __init__(self, message):
        self.msg = message
        Exception.__init__(self, message)

    def __str__(self):
        return self.msg


class UntrustedUrl(BBFetchException):
    def __init__(self, url, message=""):
        msg = message or "The URL: '%s' is not trusted and cannot be used" % url
        self.url = url
        BBFetchException.__init__(self, msg)
        self.args = (url,)


class MalformedUrl(BBFetchException):
    def __init__(self, url, message=""):
        msg = message or "The URL: '%s' is invalid and cannot be interpreted" % url
        self.url = url
        BBFetchException.__init__(self, msg)
        self.args = (url,)


class FetchError(BBFetchException):
    def __init__(self, message, url=None):
        msg = "Fetcher failure for URL: '%s'. %s" % (url, message) if url else "Fetcher failure: %s" % message
        self.url = url
        BBFetchException.__init__(self, msg)
        self.args = (message, url)


class ChecksumError(FetchError):
    pass


class NoChecksumError(FetchError):
    pass


class UnpackError(BBFetchException):
    pass


class NoMethodError(BBFetchException):
    def __init__(self, url):
        self.url = url
        BBFetchException.__init__(self, "Could not find a fetcher which supports the URL: '%s'" % url)
        self.args = (url,)


class MissingParameterError(BBFetchException):
    def __init__(self, missing, url):
        self.url = url
        self.missing = missing
        BBFetchException.__init__(self, "URL: '%s' is missing the required parameter '%s'" % (url, missing))
        self.args = (missing, url)


class ParameterError(BBFetchException):
    def __init__(self, message, url):
        self.url = url
        BBFetchException.__init__(self, "URL: '%s' has invalid parameters. %s" % (url, message))
        self.args = (message, url)


class NetworkAccess(BBFetchException):
    def __init__(self, url, cmd):
        self.url = url
        self.cmd = cmd
        BBFetchException.__init__(
            self,
            "Network access disabled through BB_NO_NETWORK (or set indirectly due to use of BB_FETCH_PREMIRRORONLY) but access requested with command %s (for url %s)"
            % (cmd, url),
        )
        self.args = (url, cmd)


def _split_params(text, sep):
    out = collections.OrderedDict()
    if not text:
        return out
    for item in text.split(sep):
        if not item:
            continue
        if "=" not in item:
            raise MalformedUrl(text, "The URL parameter '%s' does not specify a value" % item)
        k, v = item.split("=", 1)
        out[k] = v
    return out


class URI:
    """A URL as metadata uses it: `scheme://[user[:password]@]host[:port]/path`,
    then `;key=value` parameters, `?query` and `#fragment`. `file:relative/path`
    (no `//`) is a relative URI."""

    _relative_schemes = ["file", "git", "gitsm", "svn", "hg", "npm", "npmsw"]

    def __init__(self, uri=None):
        self.scheme = ""
        self.userinfo = ""
        self.hostname = ""
        self.port = None
        self._path = ""
        self.params = collections.OrderedDict()
        self.query = collections.OrderedDict()
        self.relative = False
        self.fragment = ""
        if not uri:
            return
        uri, _, param_str = uri.partition(";")
        self.params = _split_params(param_str, ";")
        scheme, sep, rest = uri.partition(":")
        if not sep:
            raise MalformedUrl(uri)
        self.scheme = scheme
        if not rest.startswith("//"):
            # `file:foo/bar`: a relative path.
            self.relative = True
            path, _, self.fragment = rest.partition("#")
            path, _, query = path.partition("?")
            self.query = _split_params(query, "&")
            self._path = urllib.parse.unquote(path)
            return
        parts = urllib.parse.urlsplit("http:" + rest)
        self.fragment = parts.fragment
        self.query = _split_params(parts.query, "&")
        netloc = parts.netloc
        if "@" in netloc:
            self.userinfo, _, netloc = netloc.rpartition("@")
        if self.scheme == "file":
            self._path = urllib.parse.unquote(netloc + parts.path)
            return
        host, colon, port = netloc.rpartition(":")
        if colon and port.isdigit() and not netloc.endswith("]"):
            self.hostname = host
            self.port = int(port)
        else:
            self.hostname = netloc
        self._path = urllib.parse.unquote(parts.path)

    def __str__(self):
        out = self.scheme + ":"
        if not self.relative:
            out += "//"
            if self.userinfo:
                out += self.userinfo + "@"
            out += self.hostport
        out += urllib.parse.quote(self._path, safe="/+~:@!$&'()*,=")
        if self.query:
            out += "?" + "&".join("%s=%s" % kv for kv in self.query.items())
        if self.fragment:
            out += "#" + self.fragment
        if self.params:
            out += "".join(";%s=%s" % kv for kv in self.params.items())
        return out

    def __repr__(self):
        return "URI(%r)" % str(self)

    @property
    def hostport(self):
        if not self.port:
            return self.hostname
        return "%s:%d" % (self.hostname, self.port)

    @property
    def path_quoted(self):
        return urllib.parse.quote(self.path)

    @property
    def path(self):
        return self._path

    @path.setter
    def path(self, path):
        self._path = path
        self.relative = not path.startswith("/") and self.scheme in ("file",)

    @property
    def username(self):
        return self.userinfo.split(":", 1)[0] if self.userinfo else ""

    @property
    def password(self):
        if self.userinfo and ":" in self.userinfo:
            return self.userinfo.split(":", 1)[1]
        return ""


_DECODE_RE = re.compile(r"(?P<type>[^:]*)://((?P<user>[^/;]+)@)?(?P<location>[^;]+)(;(?P<parm>.*))?")


def decodeurl(url):
    """A URL as (type, host, path, user, password, params)."""
    m = _DECODE_RE.match(url)
    if not m:
        raise MalformedUrl(url)
    type_ = m.group("type")
    location = m.group("location")
    if not location:
        raise MalformedUrl(url)
    user = m.group("user")
    parm = m.group("parm")
    if type_.lower() == "file":
        host = ""
        path = location
    else:
        slash = location.find("/")
        if slash == -1:
            host, path = location, ""
        else:
            host, path = location[:slash], location[slash:]
    if user:
        user, _, pswd = user.partition(":")
    else:
        user, pswd = "", ""
    params = collections.OrderedDict()
    if parm:
        for item in parm.split(";"):
            if not item:
                continue
            if "=" not in item:
                raise MalformedUrl(url, "The URL: '%s' is invalid: parameter %s does not specify a value (missing '=')" % (url, item))
            k, v = item.split("=", 1)
            params[k] = v
    return type_, host, urllib.parse.unquote(path), user, pswd, params


def encodeurl(decoded):
    """The inverse of decodeurl."""
    type_, host, path, user, pswd, p = tuple(decoded)
    if not type_:
        raise MissingParameterError("type", "encoded from the data %s" % str(decoded))
    url = [type_ + "://"]
    if user and type_ != "file":
        url.append(user)
        if pswd:
            url.append(":" + pswd)
        url.append("@")
    if host and type_ != "file":
        url.append(host)
    if path:
        url.append(urllib.parse.quote(path))
    if p:
        for k in p:
            url.append(";%s=%s" % (k, p[k]))
    return "".join(url)


def _local_file(path, d):
    """Where a `file://` path is: itself when absolute, else the first match in
    FILESPATH, else the last place looked at."""
    if path.startswith("/"):
        return path
    filespath = d.getVar("FILESPATH")
    if not filespath:
        return path
    found, searched = bb.utils.which(filespath, path, history=True)
    return found or (searched[-1] if searched else path)


class _Method:
    """The fetch method of a URL scheme, as far as metadata asks it."""

    def __init__(self, scheme):
        self.scheme = scheme

    def supports_srcrev(self):
        return self.scheme in _SRCREV_SCHEMES

    def supports_checksum(self, urldata):
        # Local files and source control checkouts carry no checksum (BitBake's
        # FetchMethod.supports_checksum).
        return self.scheme not in _SRCREV_SCHEMES and self.scheme != "file"

    def recommends_checksum(self, urldata):
        return self.supports_checksum(urldata)


class FetchData:
    """What the fetcher knows of one URL without touching the network."""

    def __init__(self, url, d, localonly=False):
        self.url = url
        self.type, self.host, self.path, self.user, self.pswd, self.parm = decodeurl(d.expand(url))
        self.name = self.parm.get("name", "default")
        self.names = [self.name]
        self.localfile = ""
        self.localpath = None
        if self.type == "file":
            self.localfile = self.path
            self.localpath = _local_file(self.path, d)
        else:
            self.localfile = self.parm.get("downloadfilename") or os.path.basename(self.path)
            self.localpath = os.path.join(d.getVar("DL_DIR") or "", self.localfile)
        self.revision = None
        self.d = d
        self.method = _Method(self.type)
        if "protocol" in self.parm:
            self.proto = self.parm["protocol"]
        for algo in CHECKSUM_LIST:
            flag = "%ssum" % algo if self.name == "default" else "%s.%ssum" % (self.name, algo)
            value = self.parm.get("%ssum" % algo) or d.getVarFlag("SRC_URI", flag)
            setattr(self, "%s_expected" % algo, value or None)
        if self.supports_srcrev():
            try:
                self.setup_revisions(d)
            except FetchError:
                self.revision = None

    def supports_srcrev(self):
        return self.type in _SRCREV_SCHEMES

    def setup_revisions(self, d):
        if self.supports_srcrev():
            self.revision = _srcrev_for(self, d, self.name)


class Fetch:
    """The URLs of SRC_URI (or `urls`), decoded; no download happens here."""

    def __init__(self, urls, d, cache=True, localonly=False, connection_cache=None):
        if not urls:
            urls = (d.getVar("SRC_URI") or "").split()
        self.urls = urls
        self.d = d
        self.ud = {}
        for u in urls:
            self.ud[u] = FetchData(u, d, localonly)

    def localpath(self, url):
        return self.ud[url].localpath

    def localpaths(self):
        return [self.ud[u].localpath for u in self.urls]

    def _service(self, *args):
        import _bake

        try:
            _bake.service("fetch", self.d, list(args))
        except RuntimeError as e:
            raise FetchError(str(e))

    def download(self, urls=None):
        """Downloads `urls` (all by default) into DL_DIR (bake's fetcher: mirrors,
        checksums, BB_NO_NETWORK as BitBake's). A `file://` URL that is not where it
        points but is on a `file://` mirror becomes a link in DL_DIR to the mirror's
        file (named by its `downloadfilename`), as BitBake's local fetcher links a
        mirrored file (how sstate fetches from SSTATE_MIRRORS)."""
        rest = []
        for u in urls or self.urls:
            ud = self.ud[u]
            if ud.type == "file" and not (ud.localpath and os.path.exists(ud.localpath)):
                found = next((p for p in self._file_mirrors(ud) if os.path.exists(p)), None)
                if found:
                    dest = os.path.join(self.d.getVar("DL_DIR") or "",
                                        ud.parm.get("downloadfilename") or ud.path.lstrip("/"))
                    if not os.path.exists(dest):
                        bb.utils.mkdirhier(os.path.dirname(dest))
                        tmp = "%s.%d.tmp" % (dest, os.getpid())
                        bb.utils.remove(tmp)
                        os.symlink(os.path.abspath(found), tmp)
                        os.replace(tmp, dest)
                    ud.localpath = dest
                    continue
            rest.append(u)
        if rest:
            self._service("download", *rest)

    def unpack(self, root, urls=None):
        """Unpacks `urls` (all by default) into `root`."""
        self._service("unpack", root, *(urls or self.urls))

    def checkstatus(self, urls=None):
        """Whether each URL can be fetched, without fetching it: a `file://` URL is
        looked for where it is (FILESPATH) and then on the `file://` mirrors of
        PREMIRRORS and MIRRORS (how sstate_checkhashes asks for SSTATE_MIRRORS); any
        other URL is downloaded (bake's fetcher has no status check)."""
        for u in urls or self.urls:
            ud = self.ud[u]
            if ud.type != "file":
                self.download([u])
                continue
            if ud.localpath and os.path.exists(ud.localpath):
                continue
            if not any(os.path.exists(p) for p in self._file_mirrors(ud)):
                raise FetchError("Unable to find file %s anywhere" % u, u)

    def _file_mirrors(self, ud):
        """The paths the `file://` mirrors give for `ud` (PATH and BASENAME
        substituted, or the mirror directory joined with the file's name)."""
        pairs = mirror_from_string(self.d.getVar("PREMIRRORS")) + mirror_from_string(self.d.getVar("MIRRORS"))
        for find, replace in pairs:
            ftype, _, fpath, _, _, _ = decodeurl(find)
            if not replace.startswith("file://"):
                continue
            try:
                if not re.match(ftype + "$", ud.type) or not re.match(fpath, ud.path):
                    continue
            except re.error:
                continue
            target = decodeurl(replace)[2]
            if "PATH" in target or "BASENAME" in target:
                target = target.replace("PATH", ud.path.lstrip("/")).replace("BASENAME", os.path.basename(ud.path))
            else:
                target = os.path.join(target, os.path.basename(ud.path))
            yield target


class FetchConnectionCache:
    """Connections kept between fetches (bake's fetcher keeps none)."""

    def close_connections(self):
        pass

    def clean(self, urls=None):
        for u in urls or self.urls:
            path = self.ud[u].localpath
            if path and self.ud[u].type != "file" and os.path.exists(path):
                bb.utils.remove(path)
                bb.utils.remove(path + ".done")


def _srcrev_for(ud, d, name):
    pn = d.getVar("PN")
    attempts = []
    if name != "" and pn:
        attempts.append("SRCREV_%s:pn-%s" % (name, pn))
    if name != "":
        attempts.append("SRCREV_%s" % name)
    if pn:
        attempts.append("SRCREV:pn-%s" % pn)
    attempts.append("SRCREV")
    srcrev = None
    for a in attempts:
        srcrev = d.getVar(a)
        if srcrev and srcrev != "INVALID":
            break
    unset = srcrev == "INVALID" or not srcrev
    if "rev" in ud.parm:
        if unset:
            return ud.parm["rev"]
        if srcrev != ud.parm["rev"]:
            raise FetchError(
                "Conflicting revisions (%s from SRCREV and %s from the url) found, please specify one valid value"
                % (srcrev, ud.parm["rev"])
            )
        return srcrev
    if "tag" in ud.parm and unset:
        return ud.parm["tag"]
    if unset:
        raise FetchError(
            "Please set a valid SRCREV for url %s (possible key names are %s, or use a ;rev=X URL parameter)"
            % (str(attempts), ud.url),
            ud.url,
        )
    if srcrev == "AUTOINC":
        raise FetchError("AUTOREV needs the network to find the latest revision, which bake does not do at parse time", ud.url)
    return srcrev


def get_autorev(d):
    if d.getVar("BB_SRCREV_POLICY") != "cache":
        d.setVar("BB_DONT_CACHE", "1")
    return "AUTOINC"


def _get_srcrev(d):
    fetcher = Fetch((d.getVar("SRC_URI") or "").split(), d)
    scms = [u for u in fetcher.urls if fetcher.ud[u].supports_srcrev()]
    if not scms:
        return "", []
    revs = []
    if len(scms) == 1:
        ud = fetcher.ud[scms[0]]
        rev = _srcrev_for(ud, d, ud.name)
        revs.append(rev)
        return rev[:10], revs
    fmt = d.getVar("SRCREV_FORMAT")
    if not fmt:
        raise FetchError(
            "The SRCREV_FORMAT variable must be set when multiple SCMs are used.\nThe SCMs are:\n%s"
            % "\n".join(scms)
        )
    name_to_rev = {}
    for u in scms:
        ud = fetcher.ud[u]
        rev = _srcrev_for(ud, d, ud.name)
        revs.append(rev)
        name_to_rev[ud.name] = rev[:10]
    names = sorted(name_to_rev, key=len, reverse=True)
    if names:
        pattern = re.compile("|".join(re.escape(n) for n in names))
        fmt = pattern.sub(lambda m: name_to_rev[m.group(0)], fmt)
    return fmt, revs


def get_srcrev(d, method_name="sortable_revision"):
    """The source revision of SRC_URI's SCM URLs (SRCREV_FORMAT for several)."""
    pkgv = _get_srcrev(d)[0]
    if not pkgv:
        raise FetchError("SRCREV was used yet no valid SCM was found in SRC_URI")
    return pkgv


def get_hashvalue(d, method_name="sortable_revision"):
    return " ".join(_get_srcrev(d)[1])


def get_pkgv_string(d, method_name="sortable_revision"):
    return _get_srcrev(d)[0]


def localpath(url, d):
    return Fetch([url], d).localpath(url)


def get_checksum_file_list(d):
    """The local files of SRC_URI for task signatures (`[file-checksums]`): each candidate
    path looked at for every `file://` entry, as `path:True` / `path:False` words."""
    words = []
    for url in (d.getVar("SRC_URI") or "").split():
        scheme, _, rest = url.partition("://")
        if scheme != "file" or not rest:
            continue
        path = urllib.parse.unquote(rest.split(";")[0])
        if path.startswith("/"):
            candidates = [path]
        else:
            _, candidates = bb.utils.which(d.getVar("FILESPATH"), path, history=True)
        if not any(os.path.exists(c) for c in candidates):
            bb.fatal("Unable to get checksum for %s SRC_URI entry %s: file could not be found\n"
                     "The following paths were searched:\n%s"
                     % (d.getVar("PN"), os.path.basename(path), "\n".join(candidates)))
        words.extend("%s:%s" % (c, os.path.exists(c)) for c in candidates)
    return " ".join(words)


def mirror_from_string(data):
    mirrors = (data or "").replace("\\n", " ").split()
    if len(mirrors) % 2 != 0:
        bb.warn("Invalid mirror data %s, should have paired members." % data)
    return list(zip(*[iter(mirrors)] * 2))


def get_fetcher_environment(d):
    return {}
