# Консоль concord: русский

## Layout and navigation
skip-to-content = Перейти к содержимому
nav-label = Главное меню
language-label = Язык
nav-dashboard = Обзор
nav-intel = Разведданные
nav-import = Импорт
nav-match = Сопоставление
nav-settings = Настройки
logout = Выйти

## Log-in
login-title = Вход
login-username = Имя пользователя
login-password = Пароль
login-submit = Войти
login-failed = Неверное имя пользователя или пароль.
login-expired = Срок действия формы входа истёк (или она открыта с другой страницы): пароль не проверялся. Войдите снова.
login-throttled = Слишком много неверных паролей. Подождите четверть часа и попробуйте снова.
login-hint = Используйте ту же учётную запись, что и для TAXII-сервера этого узла.

## Messages
no-access-title = Нет доступа
no-access-text = Вашей учётной записи это недоступно. Попросите администратора узла выдать вам права на коллекцию.
no-access-match-text = Сопоставление проверяет события по индикаторам всех коллекций, поэтому этой странице нужны права на чтение всех коллекций; ваша учётная запись может читать только некоторые (или ни одной). Попросите администратора узла выдать права на чтение каждой коллекции.
not-found-title = Не найдено
not-found-text = Такого объекта нет, или у вас нет прав на его просмотр.
csrf-title = Форма устарела
csrf-text = Не удалось проверить эту форму. Обновите страницу и отправьте её ещё раз.
error-text = На сервере произошла ошибка. Повторите попытку чуть позже.

## Common
col-collection = Коллекция
col-count = Количество
col-labels = Метки
col-modified = Изменён
col-name = Название
col-type = Тип
tlp-none = Без TLP
revoked = отозван
count-objects = { $count ->
    [one] { $n } объект
    [few] { $n } объекта
    [many] { $n } объектов
   *[other] { $n } объекта
}

## Dashboard
dashboard-title = Обзор
dashboard-intro = { $days ->
    [one] Разведданные, добавленные за последний { $n } день в доступные вам коллекции.
    [few] Разведданные, добавленные за последние { $n } дня в доступные вам коллекции.
   *[other] Разведданные, добавленные за последние { $n } дней в доступные вам коллекции.
}
dashboard-recent = Добавлено недавно
dashboard-capped = В каждой коллекции учтены только первые записи, поэтому на самом деле их больше.
dashboard-totals = Этот узел
dashboard-objects = объектов
dashboard-versions = версий всего
dashboard-by-type = По типу
dashboard-by-tlp = По TLP
dashboard-by-collection = По коллекциям
dashboard-nothing = За этот период ничего не добавлено.

## Intel list
intel-title = Разведданные
intel-search = Поиск по названиям, описаниям, меткам и шаблонам
intel-search-note = результаты поиска, сначала самые подходящие
intel-all-collections = Все коллекции
intel-empty = Нет объектов, подходящих под эти фильтры.
intel-shown = { $count ->
    [one] { $n } объект на этой странице
    [few] { $n } объекта на этой странице
    [many] { $n } объектов на этой странице
   *[other] { $n } объекта на этой странице
}
search-too-short = Введите хотя бы одно слово длиной от трёх букв.
filter-any = Любой
filter-since = Начиная с
filter-author = Автор (id идентичности)
filter-label = Метка
filter-apply = Применить
pager-label = Страницы
pager-first = Первая страница
pager-next = Следующая страница

## Object
object-sections = Разделы страницы
object-properties = Свойства
object-versions = Версии
object-markings = Маркировка
object-provenance = Происхождение
object-graph = Связи
object-version-count = { $count ->
    [one] { $n } версия
    [few] { $n } версии
    [many] { $n } версий
   *[other] { $n } версии
}
diff-from = От
diff-to = До
diff-compare = Сравнить
diff-none = Эти две версии совпадают.
diff-property = Свойство
diff-change = Изменение
diff-before = Было
diff-after = Стало
diff-added = добавлено
diff-removed = удалено
diff-changed = изменено
markings-none = У этого объекта нет маркировки.
provenance-valid = Подпись действительна: подписано { $signer } ключом { $key }.
provenance-unsigned = У этого объекта нет подписи происхождения.
provenance-invalid = Подпись НЕДЕЙСТВИТЕЛЬНА: { $reason }
graph-none = Нет связей, которые вам доступны.
graph-indexing = Индекс связей ещё строится; часть связей может не отображаться.
graph-more = Показаны только первые { $n } связей.
graph-relation = Связь
graph-direction = Направление
graph-outgoing = от этого объекта
graph-incoming = к этому объекту

## Import
import-title = Импорт
import-intro = Загрузите пакет STIX 2.1, JSON-массив объектов или файл JSON Lines. Корректные объекты будут сохранены, остальные будут перечислены с причинами.
import-file = Файл
import-submit = Импортировать
import-no-file = Выберите файл для импорта.
import-too-big = Файл слишком большой или загружен не полностью.
import-result-title = Результат
import-result = Прочитано объектов: { $read } в коллекцию { $collection }. Сохранено: { $stored }, уже было: { $duplicates }, отклонено: { $rejected }.
import-rejected = Отклонённые объекты
import-line = Строка
import-path = Где
import-reasons = Причины
import-truncated = Перечислены только первые отклонённые объекты.

## Match
match-title = Сопоставление
match-input = Наблюдаемые данные или строки журнала
match-hint = По одному IP-адресу, домену, URL или хешу в строке, либо JSON-строки журналов Zeek, Suricata и других.
match-file = Или файл журнала
match-submit = Сопоставить
match-result = { $count ->
    [one] Проверено строк: { $events }, найдено { $hits } совпадение.
    [few] Проверено строк: { $events }, найдено { $hits } совпадения.
    [many] Проверено строк: { $events }, найдено { $hits } совпадений.
   *[other] Проверено строк: { $events }, найдено совпадений: { $hits }.
}
match-observable = Наблюдаемое
match-indicator = Индикатор
match-malformed = Строки, которые не удалось прочитать

## Settings
settings-title = Настройки
settings-more = Другие настройки
settings-account = Ваша учётная запись
settings-role-admin = Администратор
settings-role-user = Пользователь
settings-no-rights = У вас пока нет прав ни на одну коллекцию.
settings-read = Чтение
settings-write = Запись
settings-tokens = API-токены
settings-tokens-intro = Токен позволяет TAXII-клиенту или скрипту действовать от вашего имени. Храните его в секрете.
settings-token-create = Создать новый токен
settings-token-once = Скопируйте токен сейчас: он показывается только один раз.
settings-users = Пользователи
settings-user-name = Имя пользователя
settings-user-open = Открыть или создать
settings-user-edit = Изменить пользователя
settings-user-new = Новый пользователь
settings-user-save = Сохранить
settings-password-keep = Оставьте пароль пустым, чтобы сохранить текущий.
settings-saved = Пользователь { $name } сохранён.
settings-bad-name = Имя пользователя: от 1 до 64 букв, цифр или знаков - _ . @
settings-keep-admin = Нельзя снять права администратора с самого себя.
settings-need-password = Новому пользователю нужен пароль.
settings-short-password = Пароль должен содержать не менее 12 символов.
