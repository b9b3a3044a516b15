# Consola concord: español

## Layout and navigation
skip-to-content = Ir al contenido
nav-label = Navegación principal
language-label = Idioma
nav-dashboard = Panel
nav-intel = Inteligencia
nav-import = Importar
nav-match = Cotejar
nav-settings = Ajustes
logout = Cerrar sesión

## Log-in
login-title = Iniciar sesión
login-username = Nombre de usuario
login-password = Contraseña
login-submit = Entrar
login-failed = El nombre de usuario o la contraseña no son correctos.
login-expired = Este formulario de inicio de sesión ha caducado (o procede de otra página): su contraseña no se ha comprobado. Inicie sesión de nuevo.
login-throttled = Demasiadas contraseñas incorrectas. Espere un cuarto de hora y vuelva a intentarlo.
login-hint = Use la misma cuenta que en el servidor TAXII de este nodo.

## Messages
no-access-title = Sin acceso
no-access-text = Su cuenta no puede ver esto. Pida a un administrador de este nodo permisos sobre una colección.
no-access-match-text = La comparación contrasta los eventos con los indicadores de todas las colecciones, por lo que esta página requiere permisos de lectura sobre todas ellas; su cuenta solo puede leer algunas (o ninguna). Pida a un administrador de este nodo permisos de lectura sobre cada colección.
not-found-title = No encontrado
not-found-text = Este objeto no existe o no tiene permiso para verlo.
csrf-title = Formulario caducado
csrf-text = No se pudo verificar este formulario. Vuelva a cargar la página y envíelo otra vez.
error-text = Se produjo un error en el servidor. Inténtelo de nuevo en un momento.

## Common
col-collection = Colección
col-count = Cantidad
col-labels = Etiquetas
col-modified = Modificado
col-name = Nombre
col-type = Tipo
tlp-none = Sin TLP
revoked = revocado
count-objects = { $count ->
    [one] { $n } objeto
   *[other] { $n } objetos
}

## Dashboard
dashboard-title = Panel
dashboard-intro = { $days ->
    [one] Inteligencia añadida en el último día a las colecciones que puede leer.
   *[other] Inteligencia añadida en los últimos { $n } días a las colecciones que puede leer.
}
dashboard-recent = Añadido recientemente
dashboard-capped = Solo se contaron las primeras entradas de cada colección, así que las cifras reales son mayores.
dashboard-totals = Este nodo
dashboard-objects = objetos
dashboard-versions = versiones en total
dashboard-by-type = Por tipo
dashboard-by-tlp = Por TLP
dashboard-by-collection = Por colección
dashboard-nothing = No se añadió nada en este periodo.

## Intel list
intel-title = Inteligencia
intel-search = Buscar en nombres, descripciones, etiquetas y patrones
intel-search-note = resultados de búsqueda, los más relevantes primero
intel-all-collections = Todas las colecciones
intel-empty = Ningún objeto coincide con estos filtros.
intel-shown = { $count ->
    [one] { $n } objeto en esta página
   *[other] { $n } objetos en esta página
}
search-too-short = Escriba al menos una palabra de tres letras o más.
filter-any = Cualquiera
filter-since = Desde
filter-author = Autor (id de la identidad)
filter-label = Etiqueta
filter-apply = Aplicar
pager-label = Páginas
pager-first = Primera página
pager-next = Página siguiente

## Object
object-sections = Secciones de esta página
object-properties = Propiedades
object-versions = Versiones
object-markings = Marcas
object-provenance = Procedencia
object-graph = Relaciones
object-version-count = { $count ->
    [one] { $n } versión
   *[other] { $n } versiones
}
diff-from = Desde
diff-to = Hasta
diff-compare = Comparar
diff-none = Estas dos versiones son iguales.
diff-property = Propiedad
diff-change = Cambio
diff-before = Antes
diff-after = Después
diff-added = añadida
diff-removed = eliminada
diff-changed = modificada
markings-none = Este objeto no lleva ninguna marca.
provenance-valid = La firma es válida: firmada por { $signer } con la clave { $key }.
provenance-unsigned = Este objeto no lleva firma de procedencia.
provenance-invalid = La firma NO es válida: { $reason }
graph-none = No hay relaciones que pueda ver.
graph-indexing = El índice de relaciones aún se está construyendo; pueden faltar algunos vínculos.
graph-more = Solo se dibujan las primeras { $n } relaciones.
graph-relation = Relación
graph-direction = Sentido
graph-outgoing = desde este objeto
graph-incoming = hacia este objeto

## Import
import-title = Importar
import-intro = Suba un bundle STIX 2.1, un array JSON de objetos o líneas JSON. Los objetos válidos se guardan; los demás se listan con los motivos.
import-file = Archivo
import-submit = Importar
import-no-file = Elija un archivo para importar.
import-too-big = El archivo es demasiado grande o llegó incompleto.
import-result-title = Resultado
import-result = Se leyeron { $read } objetos para { $collection }: { $stored } guardados, { $duplicates } ya existentes, { $rejected } rechazados.
import-rejected = Objetos rechazados
import-line = Línea
import-path = Ubicación
import-reasons = Motivos
import-truncated = Solo se listan los primeros rechazos.

## Match
match-title = Cotejar
match-input = Observables o líneas de registro
match-hint = Una dirección IP, dominio, URL o hash por línea, o líneas de registro JSON de Zeek, Suricata u otros.
match-file = O un archivo de registro
match-submit = Cotejar
match-result = { $count ->
    [one] { $events } líneas comprobadas, { $hits } coincidencia.
   *[other] { $events } líneas comprobadas, { $hits } coincidencias.
}
match-observable = Observable
match-indicator = Indicador
match-malformed = Líneas que no se pudieron leer

## Settings
settings-title = Ajustes
settings-more = Más ajustes
settings-account = Su cuenta
settings-role-admin = Administrador
settings-role-user = Usuario
settings-no-rights = Todavía no tiene permisos sobre ninguna colección.
settings-read = Lectura
settings-write = Escritura
settings-tokens = Tokens de API
settings-tokens-intro = Un token permite que un cliente TAXII o un script actúe en su nombre. Manténgalo en secreto.
settings-token-create = Crear un token nuevo
settings-token-once = Copie este token ahora: solo se muestra una vez.
settings-users = Usuarios
settings-user-name = Nombre de usuario
settings-user-open = Abrir o crear
settings-user-edit = Editar usuario
settings-user-new = Usuario nuevo
settings-user-save = Guardar
settings-password-keep = Deje la contraseña vacía para conservar la actual.
settings-saved = Se guardó el usuario { $name }.
settings-bad-name = Un nombre de usuario tiene de 1 a 64 letras, cifras o los signos - _ . @
settings-keep-admin = No puede quitarse a sí mismo el derecho de administrador.
settings-need-password = Un usuario nuevo necesita una contraseña.
settings-short-password = La contraseña necesita al menos 12 caracteres.
