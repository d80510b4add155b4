import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'gatehouse:public';

/** Opts a route (or a controller) out of the global access-token guard. */
export const Public = () => SetMetadata(IS_PUBLIC, true);
