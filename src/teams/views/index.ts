export { cardAttachment, TEMPLATE_NAMES, type AdaptiveCard, type CardAttachment, type TemplateName } from './render';
export { renderRequestForm, type RequestFormModel, type RequestablePackage } from './requestForm';
export { renderHelp, COMMANDS, type Command } from './help';
export { renderRequestCard } from './requestCard';
export { renderMyRequests, type MyRequestsModel, type OverviewOptions } from './myRequests';
export { renderCancelList, type CancelListModel } from './cancelList';
export { MAX_REFRESH_USERS, type CardRefresh } from './refresh';
export type { CardViewer, RequestCardOptions } from './requestParts';
export type { Locale } from '../i18n';
