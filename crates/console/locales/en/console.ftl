# concord console: English (the reference catalog; every other catalog has the same keys)

## Layout and navigation
skip-to-content = Skip to content
nav-label = Main navigation
language-label = Language
nav-dashboard = Dashboard
nav-intel = Intel
nav-import = Import
nav-match = Match
nav-settings = Settings
logout = Log out

## Log-in
login-title = Log in
login-username = User name
login-password = Password
login-submit = Log in
login-failed = The user name or the password is wrong.
login-expired = This log-in form has expired (or came from another page): your password was not checked. Please log in again.
login-throttled = Too many wrong passwords. Wait a quarter of an hour and try again.
login-hint = Use the same account as for the node's TAXII server.

## Messages
no-access-title = No access
no-access-text = Your account may not see this. Ask an administrator of this node for rights on a collection.
no-access-match-text = Matching checks events against the indicators of every collection, so this page needs read rights on all collections; your account may read only some (or none). Ask an administrator of this node for read rights on every collection.
not-found-title = Not found
not-found-text = There is no such object, or you may not see it.
csrf-title = Form expired
csrf-text = This form could not be checked. Reload the page and send it again.
error-text = Something went wrong on the server. Try again in a moment.

## Common
col-collection = Collection
col-count = Count
col-labels = Labels
col-modified = Modified
col-name = Name
col-type = Type
tlp-none = No TLP
revoked = revoked
count-objects = { $count ->
    [one] { $n } object
   *[other] { $n } objects
}

## Dashboard
dashboard-title = Dashboard
dashboard-intro = { $days ->
    [one] Intel added in the last day, in the collections you may read.
   *[other] Intel added in the last { $n } days, in the collections you may read.
}
dashboard-recent = Recently added
dashboard-capped = Only the first entries of each collection were counted, so the real numbers are higher.
dashboard-totals = This node
dashboard-objects = objects
dashboard-versions = versions in all
dashboard-by-type = By type
dashboard-by-tlp = By TLP
dashboard-by-collection = By collection
dashboard-nothing = Nothing was added in this period.

## Intel list
intel-title = Intel
intel-search = Search names, descriptions, labels and patterns
intel-search-note = search results, best first
intel-all-collections = All collections
intel-empty = No object matches these filters.
intel-shown = { $count ->
    [one] { $n } object on this page
   *[other] { $n } objects on this page
}
search-too-short = Type at least one word of three letters or more.
filter-any = Any
filter-since = Since
filter-author = Author (identity id)
filter-label = Label
filter-apply = Apply
pager-label = Pages
pager-first = First page
pager-next = Next page

## Object
object-sections = Sections of this page
object-properties = Properties
object-versions = Versions
object-markings = Markings
object-provenance = Provenance
object-graph = Relationships
object-version-count = { $count ->
    [one] { $n } version
   *[other] { $n } versions
}
diff-from = From
diff-to = To
diff-compare = Compare
diff-none = These two versions are the same.
diff-property = Property
diff-change = Change
diff-before = Before
diff-after = After
diff-added = added
diff-removed = removed
diff-changed = changed
markings-none = This object carries no marking.
provenance-valid = The signature is valid: signed by { $signer } with key { $key }.
provenance-unsigned = This object carries no provenance signature.
provenance-invalid = The signature is NOT valid: { $reason }
graph-none = No relationship that you may see.
graph-indexing = The relationship index is still being built; some links may be missing.
graph-more = Only the first { $n } relationships are drawn.
graph-relation = Relationship
graph-direction = Direction
graph-outgoing = from this object
graph-incoming = to this object

## Import
import-title = Import
import-intro = Upload a STIX 2.1 bundle, a JSON array of objects or JSON lines. Valid objects are stored; the others are listed with the reasons.
import-file = File
import-submit = Import
import-no-file = Choose a file to import.
import-too-big = The upload is too large or was cut off.
import-result-title = Result
import-result = Read { $read } objects into { $collection }: { $stored } stored, { $duplicates } already held, { $rejected } rejected.
import-rejected = Rejected objects
import-line = Line
import-path = Where
import-reasons = Reasons
import-truncated = Only the first rejections are listed.

## Match
match-title = Match
match-input = Observables or log lines
match-hint = One IP address, domain, URL or hash per line, or Zeek, Suricata or other JSON log lines.
match-file = Or a log file
match-submit = Match
match-result = { $count ->
    [one] { $events } lines checked, { $hits } hit.
   *[other] { $events } lines checked, { $hits } hits.
}
match-observable = Observable
match-indicator = Indicator
match-malformed = Lines that could not be read

## Settings
settings-title = Settings
settings-more = More settings
settings-account = Your account
settings-role-admin = Administrator
settings-role-user = User
settings-no-rights = You have no rights on any collection yet.
settings-read = Read
settings-write = Write
settings-tokens = API tokens
settings-tokens-intro = A token lets a TAXII client or a script act as you. Keep it secret.
settings-token-create = Create a new token
settings-token-once = Copy this token now: it is shown only once.
settings-users = Users
settings-user-name = User name
settings-user-open = Open or create
settings-user-edit = Edit user
settings-user-new = New user
settings-user-save = Save
settings-password-keep = Leave the password empty to keep the current one.
settings-saved = User { $name } was saved.
settings-bad-name = A user name has 1 to 64 letters, digits or the signs - _ . @
settings-keep-admin = You cannot take away your own administrator right.
settings-need-password = A new user needs a password.
settings-short-password = A password needs at least 12 characters.
