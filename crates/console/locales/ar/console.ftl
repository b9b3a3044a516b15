# وحدة تحكم concord: العربية

## Layout and navigation
skip-to-content = انتقل إلى المحتوى
nav-label = التنقل الرئيسي
language-label = اللغة
nav-dashboard = لوحة المتابعة
nav-intel = المعلومات الاستخبارية
nav-import = استيراد
nav-match = مطابقة
nav-settings = الإعدادات
logout = تسجيل الخروج

## Log-in
login-title = تسجيل الدخول
login-username = اسم المستخدم
login-password = كلمة المرور
login-submit = دخول
login-failed = اسم المستخدم أو كلمة المرور غير صحيحة.
login-expired = انتهت صلاحية نموذج تسجيل الدخول هذا (أو أنه جاء من صفحة أخرى): لم يتم التحقق من كلمة المرور. يرجى تسجيل الدخول مجددًا.
login-throttled = أُدخلت كلمات مرور خاطئة مرات كثيرة. انتظر ربع ساعة ثم حاول مرة أخرى.
login-hint = استخدم الحساب نفسه الذي تستخدمه مع خادم TAXII لهذه العقدة.

## Messages
no-access-title = لا صلاحية
no-access-text = لا يسمح حسابك بعرض هذا المحتوى. اطلب من مسؤول هذه العقدة منحك صلاحيات على إحدى المجموعات.
no-access-match-text = تقارن المطابقة الأحداث بمؤشرات جميع المجموعات، لذا تتطلب هذه الصفحة صلاحيات القراءة على جميع المجموعات؛ ولا يستطيع حسابك قراءة سوى بعضها (أو لا شيء منها). اطلب من مسؤول هذه العقدة منحك صلاحيات القراءة على كل مجموعة.
not-found-title = غير موجود
not-found-text = هذا الكائن غير موجود، أو لا يحق لك الاطلاع عليه.
csrf-title = انتهت صلاحية النموذج
csrf-text = تعذّر التحقق من هذا النموذج. أعد تحميل الصفحة ثم أرسله مرة أخرى.
error-text = حدث خطأ في الخادم. حاول مرة أخرى بعد قليل.

## Common
col-collection = المجموعة
col-count = العدد
col-labels = الوسوم
col-modified = آخر تعديل
col-name = الاسم
col-type = النوع
tlp-none = بلا TLP
revoked = ملغى
count-objects = { $count ->
    [zero] لا كائنات
    [one] كائن واحد
    [two] كائنان
    [few] { $n } كائنات
   *[other] { $n } كائنًا
}

## Dashboard
dashboard-title = لوحة المتابعة
dashboard-intro = المعلومات الاستخبارية المضافة خلال آخر { $n } أيام إلى المجموعات التي يحق لك قراءتها.
dashboard-recent = أضيف مؤخرًا
dashboard-capped = لم تُحسب إلا الإدخالات الأولى من كل مجموعة، لذا فالأعداد الفعلية أكبر.
dashboard-totals = هذه العقدة
dashboard-objects = كائن
dashboard-versions = إصدار في المجموع
dashboard-by-type = حسب النوع
dashboard-by-tlp = حسب TLP
dashboard-by-collection = حسب المجموعة
dashboard-nothing = لم يُضف شيء خلال هذه المدة.

## Intel list
intel-title = المعلومات الاستخبارية
intel-search = ابحث في الأسماء والأوصاف والوسوم والأنماط
intel-search-note = نتائج البحث، الأكثر صلة أولًا
intel-all-collections = كل المجموعات
intel-empty = لا يوجد كائن يطابق عوامل التصفية هذه.
intel-shown = عدد الكائنات في هذه الصفحة: { $n }
search-too-short = اكتب كلمة واحدة على الأقل من ثلاثة أحرف أو أكثر.
filter-any = الكل
filter-since = منذ
filter-author = المؤلف (معرّف الهوية)
filter-label = الوسم
filter-apply = تطبيق
pager-label = الصفحات
pager-first = الصفحة الأولى
pager-next = الصفحة التالية

## Object
object-sections = أقسام هذه الصفحة
object-properties = الخصائص
object-versions = الإصدارات
object-markings = العلامات
object-provenance = المصدر
object-graph = العلاقات
object-version-count = عدد الإصدارات: { $n }
diff-from = من
diff-to = إلى
diff-compare = قارن
diff-none = هذان الإصداران متطابقان.
diff-property = الخاصية
diff-change = التغيير
diff-before = قبل
diff-after = بعد
diff-added = أضيفت
diff-removed = حُذفت
diff-changed = تغيّرت
markings-none = لا يحمل هذا الكائن أي علامة.
provenance-valid = التوقيع صالح: وقّعه { $signer } بالمفتاح { $key }.
provenance-unsigned = لا يحمل هذا الكائن توقيع مصدر.
provenance-invalid = التوقيع غير صالح: { $reason }
graph-none = لا توجد علاقات يحق لك الاطلاع عليها.
graph-indexing = ما زال فهرس العلاقات قيد الإنشاء، وقد تنقص بعض الروابط.
graph-more = لم تُرسم إلا أول { $n } علاقة.
graph-relation = العلاقة
graph-direction = الاتجاه
graph-outgoing = من هذا الكائن
graph-incoming = إلى هذا الكائن

## Import
import-title = استيراد
import-intro = ارفع حزمة STIX 2.1 أو مصفوفة JSON من الكائنات أو أسطر JSON. تُحفظ الكائنات الصالحة، وتُعرض البقية مع أسباب رفضها.
import-file = الملف
import-submit = استيراد
import-no-file = اختر ملفًا لاستيراده.
import-too-big = الملف كبير جدًا أو لم يصل كاملًا.
import-result-title = النتيجة
import-result = قُرئ { $read } كائنًا إلى { $collection }: حُفظ { $stored }، وكان { $duplicates } موجودًا من قبل، ورُفض { $rejected }.
import-rejected = الكائنات المرفوضة
import-line = السطر
import-path = الموضع
import-reasons = الأسباب
import-truncated = لا تُعرض إلا أولى حالات الرفض.

## Match
match-title = مطابقة
match-input = المؤشرات المرصودة أو أسطر السجلات
match-hint = عنوان IP أو نطاق أو رابط أو بصمة في كل سطر، أو أسطر سجلات JSON من Zeek أو Suricata أو غيرهما.
match-file = أو ملف سجل
match-submit = طابِق
match-result = فُحص { $events } سطرًا، وعدد التطابقات { $hits }.
match-observable = المرصود
match-indicator = المؤشر
match-malformed = أسطر تعذّرت قراءتها

## Settings
settings-title = الإعدادات
settings-more = إعدادات أخرى
settings-account = حسابك
settings-role-admin = مسؤول
settings-role-user = مستخدم
settings-no-rights = ليست لديك بعد صلاحيات على أي مجموعة.
settings-read = قراءة
settings-write = كتابة
settings-tokens = رموز الواجهة البرمجية
settings-tokens-intro = يتيح الرمز لعميل TAXII أو لبرنامج نصي أن يعمل باسمك. احفظه سرًّا.
settings-token-create = أنشئ رمزًا جديدًا
settings-token-once = انسخ هذا الرمز الآن: فهو لا يُعرض إلا مرة واحدة.
settings-users = المستخدمون
settings-user-name = اسم المستخدم
settings-user-open = افتح أو أنشئ
settings-user-edit = تعديل المستخدم
settings-user-new = مستخدم جديد
settings-user-save = حفظ
settings-password-keep = اترك كلمة المرور فارغة للإبقاء على الحالية.
settings-saved = حُفظ المستخدم { $name }.
settings-bad-name = يتكون اسم المستخدم من 1 إلى 64 حرفًا أو رقمًا أو من الرموز - _ . @
settings-keep-admin = لا يمكنك سحب صلاحية المسؤول من نفسك.
settings-need-password = يحتاج المستخدم الجديد إلى كلمة مرور.
settings-short-password = يجب ألا تقل كلمة المرور عن 12 حرفًا.
