# Console concord : français

## Layout and navigation
skip-to-content = Aller au contenu
nav-label = Navigation principale
language-label = Langue
nav-dashboard = Tableau de bord
nav-intel = Renseignement
nav-import = Importer
nav-match = Rapprocher
nav-settings = Paramètres
logout = Se déconnecter

## Log-in
login-title = Connexion
login-username = Nom d’utilisateur
login-password = Mot de passe
login-submit = Se connecter
login-failed = Le nom d’utilisateur ou le mot de passe est incorrect.
login-expired = Ce formulaire de connexion a expiré (ou provient d’une autre page) : votre mot de passe n’a pas été vérifié. Veuillez vous reconnecter.
login-throttled = Trop de mots de passe erronés. Attendez un quart d’heure, puis réessayez.
login-hint = Utilisez le même compte que pour le serveur TAXII de ce nœud.

## Messages
no-access-title = Accès refusé
no-access-text = Votre compte ne permet pas de voir ceci. Demandez à un administrateur de ce nœud des droits sur une collection.
no-access-match-text = La correspondance compare les événements aux indicateurs de toutes les collections : cette page exige donc des droits de lecture sur toutes les collections, alors que votre compte n’en lit que certaines (ou aucune). Demandez à un administrateur de ce nœud des droits de lecture sur chaque collection.
not-found-title = Introuvable
not-found-text = Cet objet n’existe pas, ou vous n’avez pas le droit de le voir.
csrf-title = Formulaire expiré
csrf-text = Ce formulaire n’a pas pu être vérifié. Rechargez la page et envoyez-le de nouveau.
error-text = Une erreur s’est produite sur le serveur. Réessayez dans un instant.

## Common
col-collection = Collection
col-count = Nombre
col-labels = Étiquettes
col-modified = Modifié
col-name = Nom
col-type = Type
tlp-none = Sans TLP
revoked = révoqué
count-objects = { $count ->
    [one] { $n } objet
   *[other] { $n } objets
}

## Dashboard
dashboard-title = Tableau de bord
dashboard-intro = { $days ->
    [one] Renseignement ajouté le dernier jour aux collections que vous pouvez lire.
   *[other] Renseignement ajouté ces { $n } derniers jours aux collections que vous pouvez lire.
}
dashboard-recent = Ajouts récents
dashboard-capped = Seules les premières entrées de chaque collection ont été comptées : les chiffres réels sont plus élevés.
dashboard-totals = Ce nœud
dashboard-objects = objets
dashboard-versions = versions au total
dashboard-by-type = Par type
dashboard-by-tlp = Par TLP
dashboard-by-collection = Par collection
dashboard-nothing = Rien n’a été ajouté pendant cette période.

## Intel list
intel-title = Renseignement
intel-search = Rechercher dans les noms, descriptions, étiquettes et motifs
intel-search-note = résultats de recherche, les plus pertinents d’abord
intel-all-collections = Toutes les collections
intel-empty = Aucun objet ne correspond à ces filtres.
intel-shown = { $count ->
    [one] { $n } objet sur cette page
   *[other] { $n } objets sur cette page
}
search-too-short = Saisissez au moins un mot de trois lettres ou plus.
filter-any = Tous
filter-since = Depuis
filter-author = Auteur (id d’identité)
filter-label = Étiquette
filter-apply = Appliquer
pager-label = Pages
pager-first = Première page
pager-next = Page suivante

## Object
object-sections = Sections de cette page
object-properties = Propriétés
object-versions = Versions
object-markings = Marquages
object-provenance = Provenance
object-graph = Relations
object-version-count = { $count ->
    [one] { $n } version
   *[other] { $n } versions
}
diff-from = De
diff-to = À
diff-compare = Comparer
diff-none = Ces deux versions sont identiques.
diff-property = Propriété
diff-change = Modification
diff-before = Avant
diff-after = Après
diff-added = ajoutée
diff-removed = supprimée
diff-changed = modifiée
markings-none = Cet objet ne porte aucun marquage.
provenance-valid = La signature est valide : signée par { $signer } avec la clé { $key }.
provenance-unsigned = Cet objet ne porte pas de signature de provenance.
provenance-invalid = La signature n’est PAS valide : { $reason }
graph-none = Aucune relation que vous puissiez voir.
graph-indexing = L’index des relations est encore en construction ; certains liens peuvent manquer.
graph-more = Seules les { $n } premières relations sont dessinées.
graph-relation = Relation
graph-direction = Sens
graph-outgoing = depuis cet objet
graph-incoming = vers cet objet

## Import
import-title = Importer
import-intro = Envoyez un bundle STIX 2.1, un tableau JSON d’objets ou des lignes JSON. Les objets valides sont enregistrés ; les autres sont listés avec leurs motifs de rejet.
import-file = Fichier
import-submit = Importer
import-no-file = Choisissez un fichier à importer.
import-too-big = Le fichier est trop volumineux ou incomplet.
import-result-title = Résultat
import-result = { $read } objets lus pour { $collection } : { $stored } enregistrés, { $duplicates } déjà présents, { $rejected } rejetés.
import-rejected = Objets rejetés
import-line = Ligne
import-path = Emplacement
import-reasons = Motifs
import-truncated = Seuls les premiers rejets sont listés.

## Match
match-title = Rapprocher
match-input = Observables ou lignes de journal
match-hint = Une adresse IP, un domaine, une URL ou une empreinte par ligne, ou des lignes de journal JSON de Zeek, Suricata ou autre.
match-file = Ou un fichier journal
match-submit = Rapprocher
match-result = { $count ->
    [one] { $events } lignes vérifiées, { $hits } correspondance.
   *[other] { $events } lignes vérifiées, { $hits } correspondances.
}
match-observable = Observable
match-indicator = Indicateur
match-malformed = Lignes illisibles

## Settings
settings-title = Paramètres
settings-more = Autres paramètres
settings-account = Votre compte
settings-role-admin = Administrateur
settings-role-user = Utilisateur
settings-no-rights = Vous n’avez encore de droits sur aucune collection.
settings-read = Lecture
settings-write = Écriture
settings-tokens = Jetons d’API
settings-tokens-intro = Un jeton permet à un client TAXII ou à un script d’agir en votre nom. Gardez-le secret.
settings-token-create = Créer un nouveau jeton
settings-token-once = Copiez ce jeton maintenant : il n’est affiché qu’une seule fois.
settings-users = Utilisateurs
settings-user-name = Nom d’utilisateur
settings-user-open = Ouvrir ou créer
settings-user-edit = Modifier l’utilisateur
settings-user-new = Nouvel utilisateur
settings-user-save = Enregistrer
settings-password-keep = Laissez le mot de passe vide pour conserver l’actuel.
settings-saved = L’utilisateur { $name } a été enregistré.
settings-bad-name = Un nom d’utilisateur compte de 1 à 64 lettres, chiffres ou signes - _ . @
settings-keep-admin = Vous ne pouvez pas retirer votre propre droit d’administrateur.
settings-need-password = Un nouvel utilisateur doit avoir un mot de passe.
settings-short-password = Le mot de passe doit compter au moins 12 caractères.
