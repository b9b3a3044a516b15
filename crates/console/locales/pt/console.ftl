# Consola concord: português

## Layout and navigation
skip-to-content = Ir para o conteúdo
nav-label = Navegação principal
language-label = Idioma
nav-dashboard = Painel
nav-intel = Inteligência
nav-import = Importar
nav-match = Correlacionar
nav-settings = Definições
logout = Terminar sessão

## Log-in
login-title = Entrar
login-username = Nome de utilizador
login-password = Palavra-passe
login-submit = Entrar
login-failed = O nome de utilizador ou a palavra-passe estão errados.
login-expired = Este formulário de início de sessão expirou (ou veio de outra página): a sua palavra-passe não foi verificada. Inicie sessão novamente.
login-throttled = Demasiadas palavras-passe erradas. Aguarde um quarto de hora e tente novamente.
login-hint = Use a mesma conta que usa no servidor TAXII deste nó.

## Messages
no-access-title = Sem acesso
no-access-text = A sua conta não pode ver isto. Peça a um administrador deste nó direitos sobre uma coleção.
no-access-match-text = A correspondência compara os eventos com os indicadores de todas as coleções, por isso esta página exige direitos de leitura sobre todas elas; a sua conta só pode ler algumas (ou nenhuma). Peça a um administrador deste nó direitos de leitura sobre cada coleção.
not-found-title = Não encontrado
not-found-text = Este objeto não existe ou não tem permissão para o ver.
csrf-title = Formulário expirado
csrf-text = Não foi possível verificar este formulário. Recarregue a página e envie-o de novo.
error-text = Ocorreu um erro no servidor. Tente novamente daqui a pouco.

## Common
col-collection = Coleção
col-count = Quantidade
col-labels = Etiquetas
col-modified = Modificado
col-name = Nome
col-type = Tipo
tlp-none = Sem TLP
revoked = revogado
count-objects = { $count ->
    [one] { $n } objeto
   *[other] { $n } objetos
}

## Dashboard
dashboard-title = Painel
dashboard-intro = { $days ->
    [one] Inteligência adicionada no último dia às coleções que pode ler.
   *[other] Inteligência adicionada nos últimos { $n } dias às coleções que pode ler.
}
dashboard-recent = Adicionado recentemente
dashboard-capped = Só foram contadas as primeiras entradas de cada coleção; os números reais são maiores.
dashboard-totals = Este nó
dashboard-objects = objetos
dashboard-versions = versões no total
dashboard-by-type = Por tipo
dashboard-by-tlp = Por TLP
dashboard-by-collection = Por coleção
dashboard-nothing = Nada foi adicionado neste período.

## Intel list
intel-title = Inteligência
intel-search = Pesquisar nomes, descrições, etiquetas e padrões
intel-search-note = resultados da pesquisa, os mais relevantes primeiro
intel-all-collections = Todas as coleções
intel-empty = Nenhum objeto corresponde a estes filtros.
intel-shown = { $count ->
    [one] { $n } objeto nesta página
   *[other] { $n } objetos nesta página
}
search-too-short = Escreva pelo menos uma palavra com três ou mais letras.
filter-any = Qualquer
filter-since = Desde
filter-author = Autor (id da identidade)
filter-label = Etiqueta
filter-apply = Aplicar
pager-label = Páginas
pager-first = Primeira página
pager-next = Página seguinte

## Object
object-sections = Secções desta página
object-properties = Propriedades
object-versions = Versões
object-markings = Marcações
object-provenance = Proveniência
object-graph = Relações
object-version-count = { $count ->
    [one] { $n } versão
   *[other] { $n } versões
}
diff-from = De
diff-to = Para
diff-compare = Comparar
diff-none = Estas duas versões são iguais.
diff-property = Propriedade
diff-change = Alteração
diff-before = Antes
diff-after = Depois
diff-added = adicionada
diff-removed = removida
diff-changed = alterada
markings-none = Este objeto não tem marcações.
provenance-valid = A assinatura é válida: assinada por { $signer } com a chave { $key }.
provenance-unsigned = Este objeto não tem assinatura de proveniência.
provenance-invalid = A assinatura NÃO é válida: { $reason }
graph-none = Não há relações que possa ver.
graph-indexing = O índice de relações ainda está a ser construído; algumas ligações podem faltar.
graph-more = Só são desenhadas as primeiras { $n } relações.
graph-relation = Relação
graph-direction = Sentido
graph-outgoing = a partir deste objeto
graph-incoming = para este objeto

## Import
import-title = Importar
import-intro = Carregue um bundle STIX 2.1, um array JSON de objetos ou linhas JSON. Os objetos válidos são guardados; os restantes são listados com os motivos.
import-file = Ficheiro
import-submit = Importar
import-no-file = Escolha um ficheiro para importar.
import-too-big = O ficheiro é demasiado grande ou chegou incompleto.
import-result-title = Resultado
import-result = Foram lidos { $read } objetos para { $collection }: { $stored } guardados, { $duplicates } já existentes, { $rejected } rejeitados.
import-rejected = Objetos rejeitados
import-line = Linha
import-path = Onde
import-reasons = Motivos
import-truncated = Só são listadas as primeiras rejeições.

## Match
match-title = Correlacionar
match-input = Observáveis ou linhas de registo
match-hint = Um endereço IP, domínio, URL ou hash por linha, ou linhas de registo JSON do Zeek, do Suricata ou outras.
match-file = Ou um ficheiro de registo
match-submit = Correlacionar
match-result = { $count ->
    [one] { $events } linhas verificadas, { $hits } correspondência.
   *[other] { $events } linhas verificadas, { $hits } correspondências.
}
match-observable = Observável
match-indicator = Indicador
match-malformed = Linhas que não foi possível ler

## Settings
settings-title = Definições
settings-more = Mais definições
settings-account = A sua conta
settings-role-admin = Administrador
settings-role-user = Utilizador
settings-no-rights = Ainda não tem direitos sobre nenhuma coleção.
settings-read = Ler
settings-write = Escrever
settings-tokens = Tokens de API
settings-tokens-intro = Um token permite que um cliente TAXII ou um script atue em seu nome. Mantenha-o secreto.
settings-token-create = Criar um novo token
settings-token-once = Copie este token agora: só é mostrado uma vez.
settings-users = Utilizadores
settings-user-name = Nome de utilizador
settings-user-open = Abrir ou criar
settings-user-edit = Editar utilizador
settings-user-new = Novo utilizador
settings-user-save = Guardar
settings-password-keep = Deixe a palavra-passe vazia para manter a atual.
settings-saved = O utilizador { $name } foi guardado.
settings-bad-name = Um nome de utilizador tem de 1 a 64 letras, algarismos ou os sinais - _ . @
settings-keep-admin = Não pode retirar o seu próprio direito de administrador.
settings-need-password = Um novo utilizador precisa de uma palavra-passe.
settings-short-password = A palavra-passe precisa de pelo menos 12 caracteres.
