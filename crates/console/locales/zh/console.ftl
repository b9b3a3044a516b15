# concord 控制台：简体中文

## Layout and navigation
skip-to-content = 跳到正文
nav-label = 主导航
language-label = 语言
nav-dashboard = 概览
nav-intel = 情报
nav-import = 导入
nav-match = 匹配
nav-settings = 设置
logout = 退出登录

## Log-in
login-title = 登录
login-username = 用户名
login-password = 密码
login-submit = 登录
login-failed = 用户名或密码错误。
login-expired = 此登录表单已过期（或来自其他页面）：未检查您的密码。请重新登录。
login-throttled = 密码错误次数过多。请等待一刻钟后再试。
login-hint = 请使用与本节点 TAXII 服务器相同的账户。

## Messages
no-access-title = 无权访问
no-access-text = 您的账户无权查看此内容。请联系本节点的管理员为您授予某个集合的权限。
no-access-match-text = 匹配会将事件与所有集合中的指标进行比对，因此此页面需要对所有集合的读取权限；您的账户只能读取其中部分集合（或一个也不能）。请联系本节点的管理员为您授予每个集合的读取权限。
not-found-title = 未找到
not-found-text = 该对象不存在，或者您无权查看。
csrf-title = 表单已失效
csrf-text = 无法校验此表单。请刷新页面后重新提交。
error-text = 服务器出错了。请稍后再试。

## Common
col-collection = 集合
col-count = 数量
col-labels = 标签
col-modified = 修改时间
col-name = 名称
col-type = 类型
tlp-none = 无 TLP
revoked = 已撤销
count-objects = { $n } 个对象

## Dashboard
dashboard-title = 概览
dashboard-intro = 最近 { $n } 天内添加到您可读集合中的情报。
dashboard-recent = 最近添加
dashboard-capped = 每个集合只统计了最早的一部分条目，实际数量更多。
dashboard-totals = 本节点
dashboard-objects = 个对象
dashboard-versions = 个版本（总计）
dashboard-by-type = 按类型
dashboard-by-tlp = 按 TLP
dashboard-by-collection = 按集合
dashboard-nothing = 这段时间内没有新增内容。

## Intel list
intel-title = 情报
intel-search = 搜索名称、描述、标签和模式
intel-search-note = 搜索结果，按相关度排序
intel-all-collections = 全部集合
intel-empty = 没有符合这些筛选条件的对象。
intel-shown = 本页共 { $n } 个对象
search-too-short = 请至少输入一个三个字符以上的词。
filter-any = 全部
filter-since = 起始日期
filter-author = 作者（身份 ID）
filter-label = 标签
filter-apply = 应用
pager-label = 分页
pager-first = 第一页
pager-next = 下一页

## Object
object-sections = 本页各部分
object-properties = 属性
object-versions = 版本
object-markings = 标记
object-provenance = 来源签名
object-graph = 关系
object-version-count = 共 { $n } 个版本
diff-from = 从
diff-to = 到
diff-compare = 比较
diff-none = 这两个版本完全相同。
diff-property = 属性
diff-change = 变化
diff-before = 之前
diff-after = 之后
diff-added = 新增
diff-removed = 删除
diff-changed = 修改
markings-none = 此对象没有任何标记。
provenance-valid = 签名有效：由 { $signer } 使用密钥 { $key } 签署。
provenance-unsigned = 此对象没有来源签名。
provenance-invalid = 签名无效：{ $reason }
graph-none = 没有您可以查看的关系。
graph-indexing = 关系索引仍在建立中，部分关系可能尚未显示。
graph-more = 只绘制了前 { $n } 条关系。
graph-relation = 关系
graph-direction = 方向
graph-outgoing = 从此对象出发
graph-incoming = 指向此对象

## Import
import-title = 导入
import-intro = 上传 STIX 2.1 包、对象的 JSON 数组或 JSON Lines 文件。有效对象会被保存，其余对象会连同原因一起列出。
import-file = 文件
import-submit = 导入
import-no-file = 请选择要导入的文件。
import-too-big = 上传的文件过大或不完整。
import-result-title = 结果
import-result = 已向 { $collection } 读取 { $read } 个对象：保存 { $stored } 个，已存在 { $duplicates } 个，拒绝 { $rejected } 个。
import-rejected = 被拒绝的对象
import-line = 行
import-path = 位置
import-reasons = 原因
import-truncated = 只列出了前面一部分被拒绝的对象。

## Match
match-title = 匹配
match-input = 可观测数据或日志行
match-hint = 每行一个 IP 地址、域名、URL 或哈希值，也可以是 Zeek、Suricata 等 JSON 日志行。
match-file = 或上传日志文件
match-submit = 匹配
match-result = 共检查 { $events } 行，命中 { $hits } 次。
match-observable = 可观测数据
match-indicator = 指标
match-malformed = 无法读取的行

## Settings
settings-title = 设置
settings-more = 更多设置
settings-account = 您的账户
settings-role-admin = 管理员
settings-role-user = 普通用户
settings-no-rights = 您目前还没有任何集合的权限。
settings-read = 读取
settings-write = 写入
settings-tokens = API 令牌
settings-tokens-intro = 令牌可让 TAXII 客户端或脚本以您的身份操作。请妥善保管。
settings-token-create = 创建新令牌
settings-token-once = 请立即复制此令牌：它只显示这一次。
settings-users = 用户
settings-user-name = 用户名
settings-user-open = 打开或新建
settings-user-edit = 编辑用户
settings-user-new = 新用户
settings-user-save = 保存
settings-password-keep = 密码留空则保留当前密码。
settings-saved = 用户 { $name } 已保存。
settings-bad-name = 用户名由 1 到 64 个字母、数字或符号 - _ . @ 组成。
settings-keep-admin = 您不能取消自己的管理员权限。
settings-need-password = 新用户必须设置密码。
settings-short-password = 密码至少需要 12 个字符。
